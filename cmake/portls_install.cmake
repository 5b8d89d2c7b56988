# make install PREFIX=dir: static libraries, public headers (ours, sdkconfig.h, mbedTLS's and
# our mbedTLS config), portls.pc for pkg-config and a CMake package (find_package(portls)).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PORTLS_INCLUDE_DEST ${CMAKE_INSTALL_INCLUDEDIR}/portls)
get_property(components GLOBAL PROPERTY PORTLS_COMPONENTS)
get_property(public_headers GLOBAL PROPERTY PORTLS_PUBLIC_HEADERS)

install(TARGETS ${components} ${PORTLS_MBEDTLS_TARGETS} EXPORT portlsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${public_headers} ${PORTLS_CONFIG_DIR}/sdkconfig.h DESTINATION ${PORTLS_INCLUDE_DEST})

if(PORTLS_MBEDTLS_SYSTEM)
    set(PORTLS_PC_MBEDTLS_LIBS "")
    set(PORTLS_CMAKE_DEPENDENCY "find_dependency(MbedTLS 3.6 CONFIG)")
else()
    install(DIRECTORY ${PORTLS_MBEDTLS_SOURCE_DIR}/include/mbedtls ${PORTLS_MBEDTLS_SOURCE_DIR}/include/psa
            DESTINATION ${PORTLS_INCLUDE_DEST})
    install(FILES ${PORTLS_MBEDTLS_CONFIG_HEADER} DESTINATION ${PORTLS_INCLUDE_DEST})
    # Pitfall: a program that includes mbedTLS headers must see the library's config. A -D in
    # portls.pc cannot carry it (pkg-config shell-escapes the quotes, and `cc $(pkg-config ...)`
    # keeps the backslashes), so the installed default config ends by including ours.
    file(READ ${PORTLS_MBEDTLS_SOURCE_DIR}/include/mbedtls/mbedtls_config.h upstream_config)
    file(WRITE ${CMAKE_BINARY_DIR}/install/mbedtls/mbedtls_config.h "${upstream_config}"
         "\n/* portls: the adjustments the installed libraries were built with. */\n"
         "#include \"portls_mbedtls_config.h\"\n")
    install(FILES ${CMAKE_BINARY_DIR}/install/mbedtls/mbedtls_config.h DESTINATION ${PORTLS_INCLUDE_DEST}/mbedtls)
    set(PORTLS_PC_MBEDTLS_LIBS "-lportls_mbedtls -lportls_mbedx509 -lportls_mbedcrypto")
    set(PORTLS_CMAKE_DEPENDENCY "")
endif()

# esp_common and esp_http_client link http_parser privately; a static link of an outside program needs it too.
get_filename_component(http_parser_dir ${HTTP_PARSER_LIBRARY} DIRECTORY)
configure_file(${CMAKE_SOURCE_DIR}/cmake/portls.pc.in ${CMAKE_BINARY_DIR}/portls.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/portls.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT portlsTargets NAMESPACE portls:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/portls)
configure_file(${CMAKE_SOURCE_DIR}/cmake/portlsConfig.cmake.in ${CMAKE_BINARY_DIR}/portlsConfig.cmake @ONLY)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/portlsConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/portlsConfig.cmake ${CMAKE_BINARY_DIR}/portlsConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/portls)

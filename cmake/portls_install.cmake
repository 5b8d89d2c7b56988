# What an outside program links, and `make install PREFIX=dir`: static libraries, public headers
# (ours, sdkconfig.h, mbedTLS's and our mbedTLS config), portls.pc for pkg-config and a CMake
# package (find_package(portls)). Both link every component portls_component() made.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PORTLS_INCLUDE_DEST ${CMAKE_INSTALL_INCLUDEDIR}/portls)
get_property(components GLOBAL PROPERTY PORTLS_COMPONENTS)
get_property(public_headers GLOBAL PROPERTY PORTLS_PUBLIC_HEADERS)

# The libraries the components link privately, as files (find_library's results). A static link
# of an outside program needs them too: portls.pc lists them here, and the CMake package's targets
# carry them in their link interface. A component's new private library goes into this list.
set(PORTLS_PRIVATE_LIBRARIES ${HTTP_PARSER_LIBRARY} ${CARES_LIBRARY})

# portls::portls, every component at once (in the build tree too, for add_subdirectory and
# FetchContent). The name portls is the tool's, hence portls_all.
add_library(portls_all INTERFACE)
target_link_libraries(portls_all INTERFACE ${components})
set_target_properties(portls_all PROPERTIES EXPORT_NAME portls)
add_library(portls::portls ALIAS portls_all)

install(TARGETS ${components} portls_all ${PORTLS_MBEDTLS_TARGETS} EXPORT portlsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${public_headers} ${PORTLS_CONFIG_DIR}/sdkconfig.h DESTINATION ${PORTLS_INCLUDE_DEST})
get_property(esp_private_headers GLOBAL PROPERTY PORTLS_ESP_PRIVATE_HEADERS)
install(FILES ${esp_private_headers} DESTINATION ${PORTLS_INCLUDE_DEST}/esp_private)
get_property(header_dirs GLOBAL PROPERTY PORTLS_PUBLIC_HEADER_DIRS)
install(DIRECTORY ${header_dirs} DESTINATION ${PORTLS_INCLUDE_DEST})

# portls.pc's Libs: the components, highest layer first as a static link takes them, then mbedTLS
# (bundled; a system one comes through Requires), the private libraries and threads.
set(PORTLS_PC_LIBS "")
set(highest_first ${components})
list(REVERSE highest_first)
foreach(c ${highest_first})
    string(APPEND PORTLS_PC_LIBS " -lportls_${c}")
endforeach()

if(PORTLS_MBEDTLS_SYSTEM)
    set(PORTLS_CMAKE_DEPENDENCY "find_dependency(MbedTLS 3.6 CONFIG)")
else()
    install(DIRECTORY ${PORTLS_MBEDTLS_SOURCE_DIR}/include/mbedtls ${PORTLS_MBEDTLS_SOURCE_DIR}/include/psa
            DESTINATION ${PORTLS_INCLUDE_DEST})
    install(FILES ${PORTLS_MBEDTLS_CONFIG_HEADER} DESTINATION ${PORTLS_INCLUDE_DEST})
    # Pitfall: a program that includes mbedTLS headers must see the library's config. A -D in
    # portls.pc cannot carry it (pkg-config shell-escapes the quotes, and `cc $(pkg-config ...)`
    # keeps the backslashes), so the installed default config ends by including ours.
    file(READ ${PORTLS_MBEDTLS_SOURCE_DIR}/include/mbedtls/mbedtls_config.h upstream_config)
    file(WRITE ${PROJECT_BINARY_DIR}/install/mbedtls/mbedtls_config.h "${upstream_config}"
         "\n/* portls: the adjustments the installed libraries were built with. */\n"
         "#include \"portls_mbedtls_config.h\"\n")
    install(FILES ${PROJECT_BINARY_DIR}/install/mbedtls/mbedtls_config.h DESTINATION ${PORTLS_INCLUDE_DEST}/mbedtls)
    string(APPEND PORTLS_PC_LIBS " -lportls_mbedtls -lportls_mbedx509 -lportls_mbedcrypto")
    set(PORTLS_CMAKE_DEPENDENCY "")
endif()

foreach(lib ${PORTLS_PRIVATE_LIBRARIES})
    get_filename_component(dir ${lib} DIRECTORY)
    get_filename_component(name ${lib} NAME_WE)
    string(REGEX REPLACE "^lib" "" name ${name})
    string(APPEND PORTLS_PC_LIBS " -L${dir} -l${name}")
endforeach()
string(APPEND PORTLS_PC_LIBS " -pthread")

configure_file(${PROJECT_SOURCE_DIR}/cmake/portls.pc.in ${PROJECT_BINARY_DIR}/portls.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/portls.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT portlsTargets NAMESPACE portls:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/portls)
configure_file(${PROJECT_SOURCE_DIR}/cmake/portlsConfig.cmake.in ${PROJECT_BINARY_DIR}/portlsConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/portlsConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/portlsConfig.cmake ${PROJECT_BINARY_DIR}/portlsConfigVersion.cmake
        ${PROJECT_SOURCE_DIR}/cmake/portls_embed.cmake ${PROJECT_SOURCE_DIR}/cmake/portls_embed.S.in
        ${PROJECT_SOURCE_DIR}/cmake/portls_embed_files.S.in
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/portls)

# Provides the targets portls::mbedcrypto, portls::mbedx509 and portls::mbedtls.
#
# bundled: the mbedTLS 3.6 source that scripts/bootstrap fetched from Debian's archive, compiled
#          here as three static libraries with our config header, the way ESP-IDF builds it.
# system:  an installed mbedTLS >= 3.6 with its own config; the CONFIG_MBEDTLS_* buffer options
#          then have no effect.

if(PORTLS_MBEDTLS_SYSTEM)
    find_package(MbedTLS 3.6 REQUIRED CONFIG)
    if(MbedTLS_VERSION VERSION_GREATER_EQUAL 4)
        message(FATAL_ERROR "mbedTLS ${MbedTLS_VERSION} found; portls needs the 3.6 API")
    endif()
    foreach(lib mbedcrypto mbedx509 mbedtls)
        add_library(portls::${lib} ALIAS MbedTLS::${lib})
    endforeach()
    set(PORTLS_PC_REQUIRES "mbedtls mbedx509 mbedcrypto")
    return()
endif()

set(PORTLS_MBEDTLS_SOURCE_DIR "$ENV{HOME}/.cache/portls/mbedtls-src" CACHE PATH
    "mbedTLS 3.6 source tree (scripts/bootstrap puts it here)")
set(src ${PORTLS_MBEDTLS_SOURCE_DIR})
if(NOT EXISTS ${src}/include/mbedtls/build_info.h)
    message(FATAL_ERROR "No mbedTLS source at ${src}: run scripts/bootstrap (or make) first")
endif()
file(STRINGS ${src}/include/mbedtls/build_info.h version_line REGEX "^#define MBEDTLS_VERSION_STRING ")
string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" PORTLS_MBEDTLS_VERSION "${version_line}")
if(NOT PORTLS_MBEDTLS_VERSION MATCHES "^3\\.6\\.")
    message(FATAL_ERROR "mbedTLS at ${src} is ${PORTLS_MBEDTLS_VERSION}; portls needs 3.6.x")
endif()
message(STATUS "mbedTLS ${PORTLS_MBEDTLS_VERSION} from ${src}")

# Fixes to mbedTLS 3.6 that portls's fault-injection test found, applied to copies in the build
# tree (the cached source stays as Debian ships it). A fix whose pattern is gone (fixed
# upstream) is skipped.
#   ssl_tls13_keys.c: when populating a TLS 1.3 transform fails part-way (an allocation), the
#   cleanup frees the transform but not the cipher context already set up in it: 256 bytes lost.
function(portls_fix_tls13_keys out_var)
    file(READ ${src}/library/ssl_tls13_keys.c text)
    set(fixed "${text}")
    foreach(name earlydata handshake application)
        string(REPLACE "        mbedtls_free(transform_${name});"
            "        mbedtls_ssl_transform_free(transform_${name}); /* portls: and its cipher contexts */\n        mbedtls_free(transform_${name});"
            fixed "${fixed}")
    endforeach()
    if(fixed STREQUAL text)
        message(STATUS "mbedTLS ssl_tls13_keys.c: the transform fix is not needed")
        set(${out_var} ${src}/library/ssl_tls13_keys.c PARENT_SCOPE)
        return()
    endif()
    set(copy ${CMAKE_BINARY_DIR}/mbedtls-fixed/ssl_tls13_keys.c)
    file(WRITE ${copy}.tmp "${fixed}")
    configure_file(${copy}.tmp ${copy} COPYONLY)
    set(${out_var} ${copy} PARENT_SCOPE)
endfunction()
portls_fix_tls13_keys(fixed_tls13_keys)

# The split follows mbedTLS's own library/CMakeLists.txt.
file(GLOB all_sources ${src}/library/*.c)
list(REMOVE_ITEM all_sources ${src}/library/ssl_tls13_keys.c)
list(APPEND all_sources ${fixed_tls13_keys})
set(x509_sources) 
set(tls_sources)
set(crypto_sources)
foreach(f ${all_sources})
    get_filename_component(name ${f} NAME)
    if(name MATCHES "^(x509|pkcs7)")
        list(APPEND x509_sources ${f})
    elseif(name MATCHES "^(ssl_|mps_|debug\\.c|net_sockets\\.c)")
        list(APPEND tls_sources ${f})
    else()
        list(APPEND crypto_sources ${f})
    endif()
endforeach()

set(PORTLS_MBEDTLS_CONFIG_HEADER ${CMAKE_SOURCE_DIR}/components/esp-tls/port/portls_mbedtls_config.h)
foreach(lib mbedcrypto mbedx509 mbedtls)
    string(REPLACE "mbed" "" kind ${lib})
    add_library(${lib} STATIC ${${kind}_sources})
    add_library(portls::${lib} ALIAS ${lib})
    set_target_properties(${lib} PROPERTIES OUTPUT_NAME portls_${lib} C_EXTENSIONS ON EXPORT_NAME ${lib})
    target_include_directories(${lib} SYSTEM PUBLIC
        $<BUILD_INTERFACE:${src}/include>
        $<BUILD_INTERFACE:${PORTLS_CONFIG_DIR}>
        $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/components/esp-tls/port>
        $<INSTALL_INTERFACE:include/portls>)
    target_include_directories(${lib} PRIVATE ${src}/library)
    # Pitfall: code that includes mbedTLS headers must see the same config, or struct layouts differ.
    target_compile_definitions(${lib} PUBLIC MBEDTLS_USER_CONFIG_FILE="portls_mbedtls_config.h")
endforeach()
target_link_libraries(mbedx509 PUBLIC mbedcrypto)
target_link_libraries(mbedtls PUBLIC mbedx509)
target_link_libraries(mbedcrypto PUBLIC Threads::Threads)
set(PORTLS_MBEDTLS_TARGETS mbedtls mbedx509 mbedcrypto)

# Provides the targets portls::mbedcrypto, portls::mbedx509 and portls::mbedtls.
#
# bundled: the mbedTLS 3.6 source that scripts/bootstrap fetched from Debian's archive, compiled
#          here as three static libraries with our config header, the way ESP-IDF builds it.
# system:  an installed mbedTLS >= 3.6 with its own config; the CONFIG_MBEDTLS_* buffer options
#          then have no effect.

if(PORTLS_MBEDTLS_SYSTEM)
    if(CONFIG_MBEDTLS_DYNAMIC_BUFFER)
        message(FATAL_ERROR "CONFIG_MBEDTLS_DYNAMIC_BUFFER sizes mbedTLS's record buffers from inside: it needs the bundled mbedTLS")
    endif()
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

set(PORTLS_MBEDTLS_SOURCE_DIR "${PORTLS_CACHE_DIR}/mbedtls-src" CACHE PATH
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

# Changes to mbedTLS 3.6, applied to copies in the build tree (the cached source stays as Debian
# ships it). portls_mbedtls_copy compiles the copy if `fixed` differs from `text`, else the original.
function(portls_mbedtls_copy name text fixed out_var)
    if(fixed STREQUAL text)
        set(${out_var} ${src}/library/${name} PARENT_SCOPE)
        return()
    endif()
    set(copy ${PROJECT_BINARY_DIR}/mbedtls-fixed/${name})
    file(WRITE ${copy}.tmp "${fixed}")
    configure_file(${copy}.tmp ${copy} COPYONLY)
    set(${out_var} ${copy} PARENT_SCOPE)
endfunction()

# ssl_tls13_keys.c, a fix that portls's fault-injection test found: when populating a TLS 1.3
# transform fails part-way (an allocation), the cleanup frees the transform but not the cipher
# context already set up in it: 256 bytes lost. Skipped once fixed upstream.
file(READ ${src}/library/ssl_tls13_keys.c text)
set(fixed "${text}")
foreach(name earlydata handshake application)
    string(REPLACE "        mbedtls_free(transform_${name});"
        "        mbedtls_ssl_transform_free(transform_${name}); /* portls: and its cipher contexts */\n        mbedtls_free(transform_${name});"
        fixed "${fixed}")
endforeach()
if(fixed STREQUAL text)
    message(STATUS "mbedTLS ssl_tls13_keys.c: the transform fix is not needed")
endif()
portls_mbedtls_copy(ssl_tls13_keys.c "${text}" "${fixed}" fixed_tls13_keys)

# Replaces pattern in the variable var, which must contain it: these changes are needed.
macro(portls_mbedtls_replace var file pattern replacement)
    string(FIND "${${var}}" "${pattern}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "mbedTLS ${file}: '${pattern}' not found; portls's change needs updating")
    endif()
    string(REPLACE "${pattern}" "${replacement}" ${var} "${${var}}")
endmacro()

# ssl_tls.c, for record-exact input buffers (CONFIG_MBEDTLS_DYNAMIC_BUFFER):
# - mbedtls_ssl_setup() allocates the input buffer with PORTLS_SSL_IN_BUFFER_SETUP_LEN bytes (a
#   full record without the option), and the handshake start no longer grows it to a full
#   record; portls grows it as each record header arrives. Without this, every connection would
#   peak with an idle 16 KiB buffer.
# - A fix the fault-injection test found: when mbedtls_ssl_setup() fails after allocating the
#   handshake state, it leaves conf NULL, and mbedtls_ssl_free() then reads conf while resizing
#   the buffers (MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH only): a NULL dereference.
file(READ ${src}/library/ssl_tls.c text)
set(fixed "${text}")
portls_mbedtls_replace(fixed ssl_tls.c
    "size_t in_buf_len = MBEDTLS_SSL_IN_BUFFER_LEN;\n    size_t out_buf_len = MBEDTLS_SSL_OUT_BUFFER_LEN;\n\n    ssl->conf = conf;"
    "size_t in_buf_len = PORTLS_SSL_IN_BUFFER_SETUP_LEN;\n    size_t out_buf_len = MBEDTLS_SSL_OUT_BUFFER_LEN;\n\n    ssl->conf = conf;")
portls_mbedtls_replace(fixed ssl_tls.c
    "handle_buffer_resizing(ssl, 0, MBEDTLS_SSL_IN_BUFFER_LEN,"
    "handle_buffer_resizing(ssl, 0, PORTLS_SSL_IN_BUFFER_SETUP_LEN,")
portls_mbedtls_replace(fixed ssl_tls.c
    "    handle_buffer_resizing(ssl, 1, mbedtls_ssl_get_input_buflen(ssl),"
    "    if (ssl->conf != NULL) /* portls: NULL after a failed mbedtls_ssl_setup() */\n    handle_buffer_resizing(ssl, 1, mbedtls_ssl_get_input_buflen(ssl),")
portls_mbedtls_copy(ssl_tls.c "${text}" "${fixed}" fixed_ssl_tls)

# The split follows mbedTLS's own library/CMakeLists.txt.
file(GLOB all_sources ${src}/library/*.c)
list(REMOVE_ITEM all_sources ${src}/library/ssl_tls13_keys.c ${src}/library/ssl_tls.c)
list(APPEND all_sources ${fixed_tls13_keys} ${fixed_ssl_tls})
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

set(PORTLS_MBEDTLS_CONFIG_HEADER ${PROJECT_SOURCE_DIR}/components/esp-tls/port/portls_mbedtls_config.h)
foreach(lib mbedcrypto mbedx509 mbedtls)
    string(REPLACE "mbed" "" kind ${lib})
    add_library(${lib} STATIC ${${kind}_sources})
    add_library(portls::${lib} ALIAS ${lib})
    set_target_properties(${lib} PROPERTIES OUTPUT_NAME portls_${lib} C_EXTENSIONS ON EXPORT_NAME ${lib})
    target_include_directories(${lib} SYSTEM PUBLIC
        $<BUILD_INTERFACE:${src}/include>
        $<BUILD_INTERFACE:${PORTLS_CONFIG_DIR}>
        $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/components/esp-tls/port>
        $<INSTALL_INTERFACE:include/portls>)
    target_include_directories(${lib} PRIVATE ${src}/library)
    # Pitfall: code that includes mbedTLS headers must see the same config, or struct layouts differ.
    target_compile_definitions(${lib} PUBLIC MBEDTLS_USER_CONFIG_FILE="portls_mbedtls_config.h")
endforeach()
target_link_libraries(mbedx509 PUBLIC mbedcrypto)
target_link_libraries(mbedtls PUBLIC mbedx509)
target_link_libraries(mbedcrypto PUBLIC Threads::Threads)
set(PORTLS_MBEDTLS_TARGETS mbedtls mbedx509 mbedcrypto)

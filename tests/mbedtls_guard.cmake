# cmake -DSRC=DIR -DCONFIG_DIR=DIR -DPORT_DIR=DIR -DCMAKE_C_COMPILER=CC -P tests/mbedtls_guard.cmake
# runs the configure's guards on the bundled mbedTLS source at SRC, as cmake/portls_mbedtls.cmake
# does (CONFIG_DIR holds a build's sdkconfig.h, PORT_DIR portls_mbedtls_config.h). With
# -DSYSTEM_INCLUDES=DIR it checks the requirements on the mbedTLS headers there instead, as for a
# system mbedTLS, with the options given as -D. For tests/mbedtls_guard.sh.
cmake_minimum_required(VERSION 3.16)
include(${CMAKE_CURRENT_LIST_DIR}/../cmake/portls_mbedtls_guard.cmake)
if(DEFINED SYSTEM_INCLUDES)
    set(PORTLS_MBEDTLS_SYSTEM ON)
    portls_mbedtls_requirements("${SYSTEM_INCLUDES};${CONFIG_DIR}" "" "system library at ${SYSTEM_INCLUDES}")
else()
    portls_mbedtls_guard_bundled(${SRC} ${CMAKE_CURRENT_BINARY_DIR}/patched ${CONFIG_DIR} ${PORT_DIR})
endif()
message(STATUS "guards passed")

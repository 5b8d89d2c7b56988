# The guards on portls's coupling to mbedTLS (README, "Memory" and "Configuration"). portls frees
# the TLS 1.3 handshake state, resizes the record buffers under mbedTLS and patches copies of
# its sources, so the configure checks that the mbedTLS at hand is one this was verified on:
#   provenance   which source the build is made of (version, Debian revision, the tarballs'
#                SHA-256), and whether the whole suite passed on it (mbedtls-verified.txt);
#   patches      mbedtls-patches/*.patch apply to copies in the build tree, or are already in;
#   ticket path  the functions that run on the handshake state lent for each TLS 1.3 ticket
#                (patch 0004) are the text that was verified (mbedtls-ticket-path.txt);
#   probes       every internal field and function portls uses compiles (mbedtls-probes.c);
#   requirements each portls feature that is on finds the mbedTLS options it needs.
# Each failure stops the configure and says what to re-verify.

set(PORTLS_MBEDTLS_GUARD_DIR ${CMAKE_CURRENT_LIST_DIR})

# Reconfigure when one of these changes (not in script mode: tests/mbedtls_guard.sh runs the guards
# with cmake -P).
function(portls_configure_depends)
    if(NOT CMAKE_SCRIPT_MODE_FILE)
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ARGN})
    endif()
endfunction()
portls_configure_depends(${PORTLS_MBEDTLS_GUARD_DIR}/mbedtls-verified.txt ${PORTLS_MBEDTLS_GUARD_DIR}/mbedtls-ticket-path.txt
    ${PORTLS_MBEDTLS_GUARD_DIR}/mbedtls-probes.c)

# The SHA-256 entries ("name hash") of the Debian source package's .dsc.
function(portls_dsc_checksums dsc out_var)
    file(STRINGS ${dsc} lines)
    set(in_section FALSE)
    set(entries)
    foreach(line IN LISTS lines)
        if(line STREQUAL "Checksums-Sha256:")
            set(in_section TRUE)
        elseif(in_section AND line MATCHES "^ ([0-9a-f]+) [0-9]+ (.+)$")
            list(APPEND entries "${CMAKE_MATCH_2} ${CMAKE_MATCH_1}")
        else()
            set(in_section FALSE)
        endif()
    endforeach()
    set(${out_var} ${entries} PARENT_SCOPE)
endfunction()

# Where the source tree at src came from: sets PORTLS_MBEDTLS_DEBIAN_VERSION (e.g. 3.6.7-3) and
# PORTLS_MBEDTLS_TARBALLS ("name sha256" for the orig and debian tarballs), both empty when no
# Debian source package (.dsc and its tarballs) lies next to the tree, as scripts/bootstrap leaves
# it. A tarball whose SHA-256 differs from its .dsc fails the configure.
function(portls_mbedtls_provenance src version)
    get_filename_component(real ${src} REALPATH)
    get_filename_component(parent ${real} DIRECTORY)
    file(GLOB dscs ${parent}/mbedtls_${version}-*.dsc)
    list(SORT dscs COMPARE NATURAL)
    set(debian_version "")
    set(tarballs)
    if(dscs)
        list(GET dscs -1 dsc)
        file(STRINGS ${dsc} version_line REGEX "^Version: ")
        string(REGEX REPLACE "^Version: " "" debian_version "${version_line}")
        portls_dsc_checksums(${dsc} entries)
        foreach(entry IN LISTS entries)
            string(REPLACE " " ";" pair "${entry}")
            list(GET pair 0 name)
            list(GET pair 1 expected)
            if(NOT EXISTS ${parent}/${name})
                set(debian_version "")
                set(tarballs)
                break()
            endif()
            file(SHA256 ${parent}/${name} actual)
            if(NOT actual STREQUAL expected)
                message(FATAL_ERROR "mbedTLS: ${parent}/${name} has SHA-256 ${actual}, but ${dsc} says ${expected}. "
                    "Remove ${parent} and run scripts/bootstrap again.")
            endif()
            list(APPEND tarballs "${name} ${actual}")
        endforeach()
    endif()
    set(PORTLS_MBEDTLS_DEBIAN_VERSION "${debian_version}" PARENT_SCOPE)
    set(PORTLS_MBEDTLS_TARBALLS "${tarballs}" PARENT_SCOPE)
endfunction()

# Sets PORTLS_MBEDTLS_SOURCE_KEY ("version debian-version sha256..." as mbedtls-verified.txt
# lists sources) and PORTLS_MBEDTLS_VERIFIED if that file lists it: the whole suite passed on it.
function(portls_mbedtls_check_verified version)
    set(key "${version} ${PORTLS_MBEDTLS_DEBIAN_VERSION}")
    foreach(tarball IN LISTS PORTLS_MBEDTLS_TARBALLS)
        string(REGEX REPLACE "^.* " "" sha "${tarball}")
        string(APPEND key " ${sha}")
    endforeach()
    file(STRINGS ${PORTLS_MBEDTLS_GUARD_DIR}/mbedtls-verified.txt entries REGEX "^[0-9]")
    set(verified FALSE)
    if(PORTLS_MBEDTLS_TARBALLS AND key IN_LIST entries)
        set(verified TRUE)
    endif()
    set(PORTLS_MBEDTLS_VERIFIED ${verified} PARENT_SCOPE)
    set(PORTLS_MBEDTLS_SOURCE_KEY "${key}" PARENT_SCOPE)
endfunction()

# Applies each mbedtls-patches/*.patch, in order, to copies (under out_dir) of the files it
# changes, and sets ${files_var} to the copies and PORTLS_MBEDTLS_PATCHES to "name status" lines.
# A patch that does not apply fails the configure. One whose reverse applies is already in this
# mbedTLS: the configure says so and goes on without it.
function(portls_mbedtls_patch src version out_dir files_var)
    find_program(PORTLS_PATCH_PROGRAM patch REQUIRED)
    file(GLOB patches ${PORTLS_MBEDTLS_GUARD_DIR}/mbedtls-patches/*.patch)
    list(SORT patches)
    portls_configure_depends(${patches})
    set(work ${out_dir}/work)
    file(REMOVE_RECURSE ${work})
    set(touched)
    set(report)
    foreach(patch IN LISTS patches)
        get_filename_component(name ${patch} NAME_WE)
        file(STRINGS ${patch} targets REGEX "^\\+\\+\\+ b/")
        foreach(target IN LISTS targets)
            string(REGEX REPLACE "^\\+\\+\\+ b/([^\t ]+).*$" "\\1" rel "${target}")
            if(NOT rel IN_LIST touched)
                list(APPEND touched ${rel})
                configure_file(${src}/${rel} ${work}/${rel} COPYONLY)
            endif()
        endforeach()
        set(patch_cmd ${PORTLS_PATCH_PROGRAM} -p1 -f --fuzz=0 --no-backup-if-mismatch -d ${work} -i ${patch})
        execute_process(COMMAND ${patch_cmd} -N --dry-run RESULT_VARIABLE forward OUTPUT_VARIABLE out ERROR_VARIABLE out)
        if(forward EQUAL 0)
            execute_process(COMMAND ${patch_cmd} -N -s RESULT_VARIABLE applied)
            if(NOT applied EQUAL 0)
                message(FATAL_ERROR "mbedTLS patch ${patch}: applying it failed after a clean dry run")
            endif()
            list(APPEND report "${name} applied")
            continue()
        endif()
        execute_process(COMMAND ${patch_cmd} -R --dry-run -s RESULT_VARIABLE reverse OUTPUT_QUIET ERROR_QUIET)
        if(NOT reverse EQUAL 0)
            message(FATAL_ERROR "mbedTLS patch ${patch} does not apply to mbedTLS ${version} at ${src}, and "
                "mbedTLS does not already contain it:\n${out}\nThe note at the top of the patch says why portls "
                "needs it: port the change to this version and re-verify what the note names.")
        endif()
        message(STATUS "mbedTLS patch ${name}: mbedTLS ${version} already contains it (it applies in reverse); not applied")
        list(APPEND report "${name} already in mbedTLS")
    endforeach()
    string(JOIN ", " summary ${report})
    message(STATUS "mbedTLS patches: ${summary}")
    set(files)
    foreach(rel IN LISTS touched)
        configure_file(${work}/${rel} ${out_dir}/${rel} COPYONLY)
        list(APPEND files ${out_dir}/${rel})
    endforeach()
    set(${files_var} ${files} PARENT_SCOPE)
    set(PORTLS_MBEDTLS_PATCHES "${report}" PARENT_SCOPE)
endfunction()

# The SHA-256 of function name's definition in text, from its return type to the closing brace
# at the start of a line (mbedTLS's style), or "" if it is not defined there.
function(portls_function_hash text name out_var)
    string(REGEX MATCH "\n(static )?(inline )?(int|void) ${name}\\([^;{]*\\)\n{\n" head "${text}")
    set(hash "")
    if(head)
        string(FIND "${text}" "${head}" start)
        string(SUBSTRING "${text}" ${start} -1 rest)
        string(FIND "${rest}" "\n}\n" end)
        if(end GREATER 0)
            string(SUBSTRING "${rest}" 0 ${end} body)
            string(SHA256 hash "${body}")
        endif()
    endif()
    set(${out_var} "${hash}" PARENT_SCOPE)
endfunction()

# Each function that runs on the zeroed handshake state patch 0004 lends for a TLS 1.3 ticket
# must be the text listed in mbedtls-ticket-path.txt, which was read and found to use nothing
# of the state that it has not set itself.
function(portls_mbedtls_check_ticket_path src version)
    file(STRINGS ${PORTLS_MBEDTLS_GUARD_DIR}/mbedtls-ticket-path.txt entries REGEX "^library/")
    set(changed "")
    set(loaded "")
    foreach(entry IN LISTS entries)
        string(REPLACE " " ";" fields "${entry}")
        list(GET fields 0 file)
        list(GET fields 1 function)
        list(GET fields 2 expected)
        if(NOT file STREQUAL loaded)
            file(READ ${src}/${file} text)
            set(loaded ${file})
        endif()
        portls_function_hash("${text}" ${function} actual)
        if(NOT actual STREQUAL expected)
            if(actual STREQUAL "")
                set(actual "(not found)")
            endif()
            string(APPEND changed "  ${file} ${function} ${actual}\n")
        endif()
    endforeach()
    if(changed)
        message(FATAL_ERROR "mbedTLS ${version} changed functions of the TLS 1.3 ticket path, which run on the "
            "zeroed handshake state that portls lends for each NewSessionTicket "
            "(cmake/mbedtls-patches/0004-tls13-ticket-without-handshake-state.patch):\n${changed}"
            "Re-verify that none of them reads a field of ssl->handshake that it has not written itself, run "
            "make test (test_esp_tls_session drives the path under ASan, with four tickets per connection), "
            "then put the hashes above into cmake/mbedtls-ticket-path.txt.")
    endif()
    list(LENGTH entries count)
    message(STATUS "mbedTLS TLS 1.3 ticket path: the ${count} functions are the verified text")
endfunction()

# The compiler arguments that make a translation unit see mbedTLS as the build does.
function(portls_mbedtls_compile_args include_dirs defines out_var)
    set(args -std=c11)
    foreach(dir IN LISTS include_dirs)
        list(APPEND args -I${dir})
    endforeach()
    foreach(def IN LISTS defines)
        list(APPEND args -D${def})
    endforeach()
    set(${out_var} ${args} PARENT_SCOPE)
endfunction()

# Compiles mbedtls-probes.c; on failure, names each probe that does not compile.
function(portls_mbedtls_probe version include_dirs defines)
    portls_mbedtls_compile_args("${include_dirs}" "${defines}" args)
    set(probes ${PORTLS_MBEDTLS_GUARD_DIR}/mbedtls-probes.c)
    set(compile ${CMAKE_C_COMPILER} -fsyntax-only -Wall -Wextra -Werror ${args})
    execute_process(COMMAND ${compile} -DPROBE_ALL ${probes} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(rc EQUAL 0)
        message(STATUS "mbedTLS probes: the internals this configuration uses compile (cmake/mbedtls-probes.c)")
        return()
    endif()
    file(STRINGS ${probes} lines REGEX "probe [a-z0-9_]+: ")
    set(failed "")
    foreach(line IN LISTS lines)
        string(REGEX REPLACE "^.*probe ([a-z0-9_]+): (.*)$" "\\1" name "${line}")
        string(REGEX REPLACE "^.*probe ([a-z0-9_]+): (.*)$" "\\2" why "${line}")
        execute_process(COMMAND ${compile} -DPROBE_${name} ${probes} RESULT_VARIABLE one OUTPUT_QUIET ERROR_QUIET)
        if(NOT one EQUAL 0)
            string(APPEND failed "  ${name}: ${why}...\n")
        endif()
    endforeach()
    message(FATAL_ERROR "mbedTLS ${version}: internals that portls relies on changed (cmake/mbedtls-probes.c):\n"
        "${failed}Re-verify the portls code named, adapt it and the probe. The compiler said:\n${out}")
endfunction()

# The value of macro in the "#define NAME VALUE" lines of defs, one level of indirection resolved
# at a time; "" if it is not defined.
function(portls_macro_value defs macro out_var)
    set(value "")
    set(name ${macro})
    foreach(round RANGE 4)
        if(NOT defs MATCHES "#define ${name} ([^\n]*)\n")
            break()
        endif()
        set(value "${CMAKE_MATCH_1}")
        if(NOT value MATCHES "^[A-Z_][A-Z0-9_]*$")
            break()
        endif()
        set(name ${value})
    endforeach()
    set(${out_var} "${value}" PARENT_SCOPE)
endfunction()

# The mbedTLS options that each portls feature needs, checked against the configuration the build
# sees (the bundled one, or a system library's own). With a system mbedTLS, the CONFIG_ options
# that shape mbedTLS must also say what the library was built with. All findings are reported.
function(portls_mbedtls_requirements include_dirs defines description)
    portls_mbedtls_compile_args("${include_dirs}" "${defines}" args)
    file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/mbedtls-config-dump.c "#include \"mbedtls/ssl.h\"\n")
    execute_process(COMMAND ${CMAKE_C_COMPILER} -E -dM ${args} ${CMAKE_CURRENT_BINARY_DIR}/mbedtls-config-dump.c
                    RESULT_VARIABLE rc OUTPUT_VARIABLE defs ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "mbedTLS: its headers do not preprocess with this build's settings:\n${err}")
    endif()
    set(needs
        "portls|MBEDTLS_SSL_TLS_C MBEDTLS_SSL_CLI_C MBEDTLS_SSL_SRV_C MBEDTLS_SSL_PROTO_TLS1_2 MBEDTLS_X509_CRT_PARSE_C MBEDTLS_PEM_PARSE_C MBEDTLS_FS_IO MBEDTLS_PSA_CRYPTO_C MBEDTLS_SSL_ALPN MBEDTLS_THREADING_C MBEDTLS_THREADING_PTHREAD"
        "PORTLS_HEAP_ACCOUNTING|MBEDTLS_PLATFORM_MEMORY"
        "CONFIG_MBEDTLS_CERTIFICATE_BUNDLE|MBEDTLS_X509_TRUSTED_CERTIFICATE_CALLBACK"
        "CONFIG_MBEDTLS_SSL_PROTO_TLS1_3|MBEDTLS_SSL_PROTO_TLS1_3"
        "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT|MBEDTLS_SSL_RECORD_SIZE_LIMIT"
        "CONFIG_MBEDTLS_DEBUG|MBEDTLS_DEBUG_C"
        "CONFIG_MBEDTLS_HAVE_TIME_DATE|MBEDTLS_HAVE_TIME_DATE"
        "CONFIG_MBEDTLS_DYNAMIC_BUFFER|MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH"
        "CONFIG_ESP_TLS_CLIENT_SESSION_TICKETS|MBEDTLS_SSL_SESSION_TICKETS"
        "CONFIG_ESP_TLS_SERVER_SESSION_TICKETS|MBEDTLS_SSL_SESSION_TICKETS MBEDTLS_SSL_TICKET_C"
        "CONFIG_ESP_TLS_PSK_VERIFICATION|MBEDTLS_KEY_EXCHANGE_PSK_ENABLED")
    set(problems "")
    foreach(need IN LISTS needs)
        string(REPLACE "|" ";" parts "${need}")
        list(GET parts 0 feature)
        list(GET parts 1 macros)
        if(NOT feature STREQUAL "portls" AND NOT ${feature})
            continue()
        endif()
        string(REPLACE " " ";" macros "${macros}")
        foreach(macro IN LISTS macros)
            if(NOT defs MATCHES "#define ${macro}[ \n]")
                string(APPEND problems "  ${feature} needs ${macro}, which this mbedTLS lacks\n")
            endif()
        endforeach()
    endforeach()
    if(PORTLS_MBEDTLS_SYSTEM)
        foreach(len IN_CONTENT_LEN OUT_CONTENT_LEN)
            portls_macro_value("${defs}" MBEDTLS_SSL_${len} value)
            if(NOT value STREQUAL CONFIG_MBEDTLS_SSL_${len})
                string(APPEND problems "  the library was built with MBEDTLS_SSL_${len} ${value}: set "
                    "-DCONFIG_MBEDTLS_SSL_${len}=${value}\n")
            endif()
        endforeach()
        foreach(pair "CONFIG_MBEDTLS_SSL_PROTO_TLS1_3|MBEDTLS_SSL_PROTO_TLS1_3"
                     "CONFIG_MBEDTLS_SSL_RECORD_SIZE_LIMIT|MBEDTLS_SSL_RECORD_SIZE_LIMIT"
                     "CONFIG_MBEDTLS_HAVE_TIME_DATE|MBEDTLS_HAVE_TIME_DATE")
            string(REPLACE "|" ";" parts "${pair}")
            list(GET parts 0 option)
            list(GET parts 1 macro)
            if(NOT ${option} AND defs MATCHES "#define ${macro}[ \n]")
                string(APPEND problems "  the library was built with ${macro}: set -D${option}=ON\n")
            endif()
        endforeach()
    endif()
    if(problems)
        message(FATAL_ERROR "mbedTLS (${description}) does not fit this configuration:\n${problems}"
            "Turn off or set the options named, or use an mbedTLS built with what they need "
            "(the bundled one has all of it).")
    endif()
endfunction()

# Every guard on the bundled mbedTLS source at src, in order; sets PORTLS_MBEDTLS_VERSION,
# PORTLS_MBEDTLS_DESCRIPTION, the provenance and patch results above, and
# PORTLS_MBEDTLS_PATCHED_SOURCES (the copies under out_dir) in the caller's scope. config_dir
# holds sdkconfig.h, port_dir portls_mbedtls_config.h. An unverified source gets a loud warning.
macro(portls_mbedtls_guard_bundled src out_dir config_dir port_dir)
    file(STRINGS ${src}/include/mbedtls/build_info.h _version_line REGEX "^#define MBEDTLS_VERSION_STRING ")
    string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" PORTLS_MBEDTLS_VERSION "${_version_line}")
    if(NOT PORTLS_MBEDTLS_VERSION MATCHES "^3\\.6\\.")
        message(FATAL_ERROR "mbedTLS at ${src} is ${PORTLS_MBEDTLS_VERSION}; portls needs 3.6.x")
    endif()
    portls_mbedtls_provenance(${src} ${PORTLS_MBEDTLS_VERSION})
    portls_mbedtls_check_verified(${PORTLS_MBEDTLS_VERSION})
    if(PORTLS_MBEDTLS_DEBIAN_VERSION)
        set(PORTLS_MBEDTLS_DESCRIPTION "bundled, Debian source package ${PORTLS_MBEDTLS_DEBIAN_VERSION}")
    else()
        set(PORTLS_MBEDTLS_DESCRIPTION "bundled, a source tree without its Debian source package")
    endif()
    message(STATUS "mbedTLS ${PORTLS_MBEDTLS_VERSION} from ${src} (${PORTLS_MBEDTLS_DESCRIPTION})")
    portls_mbedtls_patch(${src} ${PORTLS_MBEDTLS_VERSION} ${out_dir} PORTLS_MBEDTLS_PATCHED_SOURCES)
    portls_mbedtls_check_ticket_path(${src} ${PORTLS_MBEDTLS_VERSION})
    set(_includes ${src}/include ${config_dir} ${port_dir} ${src}/library)
    set(_defines MBEDTLS_USER_CONFIG_FILE=\"portls_mbedtls_config.h\")
    portls_mbedtls_requirements("${_includes}" "${_defines}" "${PORTLS_MBEDTLS_DESCRIPTION}")
    portls_mbedtls_probe(${PORTLS_MBEDTLS_VERSION} "${_includes}" "${_defines}")
    if(NOT PORTLS_MBEDTLS_VERIFIED)
        if(PORTLS_MBEDTLS_TARBALLS)
            set(_how "Run make test; when everything passes, add this line to cmake/mbedtls-verified.txt:\n"
                     "${PORTLS_MBEDTLS_SOURCE_KEY}")
        else()
            set(_how "Without its Debian source package (the .dsc and tarballs scripts/bootstrap leaves next to "
                     "the tree) it cannot be identified, so it cannot be listed.")
        endif()
        message(WARNING "mbedTLS ${PORTLS_MBEDTLS_VERSION} (${PORTLS_MBEDTLS_DESCRIPTION}) is UNVERIFIED: "
            "cmake/mbedtls-verified.txt does not list it, so the whole suite has not passed on it. The probes "
            "passed, every patch applied and the TLS 1.3 ticket path is the verified text, so it builds. " ${_how})
    endif()
endmacro()

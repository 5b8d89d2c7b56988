# portls_embed_txtfiles(TARGET FILE...): each FILE in TARGET as ESP-IDF's EMBED_TXTFILES puts it
# in an app: the symbols _binary_NAME_start and _binary_NAME_end (NAME: the file's name with every
# character but letters and digits made '_') around its bytes and a terminating NUL.
# portls_embed_files(TARGET FILE...): the same without the NUL, as ESP-IDF's EMBED_FILES (an app's
# certificate bundle, x509_crt_bundle, is embedded so).
set(PORTLS_EMBED_TEMPLATE ${CMAKE_CURRENT_LIST_DIR}/portls_embed.S.in)
set(PORTLS_EMBED_FILES_TEMPLATE ${CMAKE_CURRENT_LIST_DIR}/portls_embed_files.S.in)

function(portls_embed_with template target)
    foreach(file ${ARGN})
        get_filename_component(FILE ${file} ABSOLUTE)
        get_filename_component(base ${file} NAME)
        string(MAKE_C_IDENTIFIER ${base} NAME)
        set(out ${CMAKE_CURRENT_BINARY_DIR}/portls_embed/${NAME}.S)
        configure_file(${template} ${out} @ONLY)
        # The C compiler assembles .S itself: the project need not enable ASM.
        set_source_files_properties(${out} PROPERTIES LANGUAGE C OBJECT_DEPENDS ${FILE})
        target_sources(${target} PRIVATE ${out})
    endforeach()
endfunction()

function(portls_embed_txtfiles target)
    portls_embed_with(${PORTLS_EMBED_TEMPLATE} ${target} ${ARGN})
endfunction()

function(portls_embed_files target)
    portls_embed_with(${PORTLS_EMBED_FILES_TEMPLATE} ${target} ${ARGN})
endfunction()

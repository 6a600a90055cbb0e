# po.cmake - the message catalogues (included from CMakeLists.txt).
# Each po/LANG.po is compiled by msgfmt (Debian's gettext) into
# BUILD/locale/LANG/LC_MESSAGES/gridsmith.mo, where the command run from
# the build tree finds it (engine/cli/lang.c), and installed into
# LOCALEDIR/LANG/LC_MESSAGES with the command. scripts/update_po.sh
# regenerates po/gridsmith.pot and merges it into every po/LANG.po.
find_program(MSGFMT msgfmt)
set(GS_LINGUAS zh_CN)
if(MSGFMT)
  set(GS_MO_FILES)
  foreach(lang ${GS_LINGUAS})
    set(mo ${CMAKE_CURRENT_BINARY_DIR}/locale/${lang}/LC_MESSAGES/gridsmith.mo)
    add_custom_command(OUTPUT ${mo}
      COMMAND ${CMAKE_COMMAND} -E make_directory
              ${CMAKE_CURRENT_BINARY_DIR}/locale/${lang}/LC_MESSAGES
      COMMAND ${MSGFMT} --check -o ${mo}
              ${CMAKE_CURRENT_SOURCE_DIR}/po/${lang}.po
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/po/${lang}.po
      COMMENT "Message catalogue ${lang}")
    list(APPEND GS_MO_FILES ${mo})
    install(FILES ${mo}
            DESTINATION ${CMAKE_INSTALL_LOCALEDIR}/${lang}/LC_MESSAGES
            COMPONENT cli)
  endforeach()
  add_custom_target(translations ALL DEPENDS ${GS_MO_FILES})
else()
  message(STATUS "msgfmt not found: messages in English only "
                 "(apt-get install gettext)")
endif()

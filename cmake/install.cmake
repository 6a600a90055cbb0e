# install.cmake - what `cmake --install` puts where (included from
# CMakeLists.txt). Components, which the Debian packages follow
# (cmake/package.cmake):
#   lib   libgridsmith.so.N, the shared library (package libgridsmith0)
#   dev   the public header, libgridsmith.so, gridsmith.pc and the CMake
#         package gridsmith::gridsmith (libgridsmith-dev)
#   cli   the gridsmith command, its man pages and bash completion
#         (gridsmith)
#   qgis  the QGIS Processing provider plugin (qgis-plugin-gridsmith)

# Installed anywhere but a system library folder, the command finds the
# library beside it ($ORIGIN/../lib); installed into /usr it needs no
# search path at all (Debian policy).
list(FIND CMAKE_PLATFORM_IMPLICIT_LINK_DIRECTORIES
     "${CMAKE_INSTALL_FULL_LIBDIR}" gs_system_libdir)
if(gs_system_libdir EQUAL -1)
  set_target_properties(gridsmith PROPERTIES
    INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
endif()

install(TARGETS gridsmith RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        COMPONENT cli)
install(TARGETS gridsmith_shared EXPORT gridsmithTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib
          NAMELINK_COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES include/gridsmith/gridsmith.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gridsmith COMPONENT dev)

# pkg-config: `cc prog.c $(pkg-config --cflags --libs gridsmith)`. The
# public header includes only <stddef.h>, so a program needs no other
# library's flags. Only the shared library is installed, so the file names
# no private requirements: pkg-config would insist on their -dev packages
# (GDAL's, ICU's...) being installed for nothing.
# The prefix is written relative to the file's own folder (${pcfiledir}),
# so the file stays right when the tree is installed with --prefix or
# moved; installed into /usr (the Debian packages) it is plainly /usr.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(GS_PC_PREFIX_LINE "prefix=/usr")
else()
  file(RELATIVE_PATH gs_pc_rel "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig"
       "${CMAKE_INSTALL_PREFIX}")
  string(REGEX REPLACE "/$" "" gs_pc_rel "${gs_pc_rel}")
  set(GS_PC_PREFIX_LINE "prefix=\${pcfiledir}/${gs_pc_rel}")
endif()
file(RELATIVE_PATH GS_PC_LIBDIR "${CMAKE_INSTALL_PREFIX}"
     "${CMAKE_INSTALL_FULL_LIBDIR}")
file(RELATIVE_PATH GS_PC_INCLUDEDIR "${CMAKE_INSTALL_PREFIX}"
     "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
configure_file(packaging/gridsmith.pc.in gridsmith.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/gridsmith.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The CMake package: find_package(gridsmith) -> gridsmith::gridsmith.
include(CMakePackageConfigHelpers)
set(GS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gridsmith)
install(EXPORT gridsmithTargets NAMESPACE gridsmith::
        DESTINATION ${GS_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(packaging/gridsmithConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/gridsmithConfig.cmake
  INSTALL_DESTINATION ${GS_CMAKE_DIR})
# 0.x: a minor version may change the API, so only the same minor matches.
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/gridsmithConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/gridsmithConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/gridsmithConfigVersion.cmake
        DESTINATION ${GS_CMAKE_DIR} COMPONENT dev)

# Man pages, generated from the command's own --help by help2man
# (Debian's help2man): gridsmith(1) and gridsmith-COMMAND(1) per command,
# so they cannot drift from the help.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(GS_MAN_COMMANDS validate patrol hotspots run assess report partition)
  set(GS_MAN_PAGES ${CMAKE_CURRENT_BINARY_DIR}/man/gridsmith.1.gz)
  foreach(c ${GS_MAN_COMMANDS})
    list(APPEND GS_MAN_PAGES
         ${CMAKE_CURRENT_BINARY_DIR}/man/gridsmith-${c}.1.gz)
  endforeach()
  add_custom_command(OUTPUT ${GS_MAN_PAGES}
    COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C.UTF-8
            sh ${CMAKE_CURRENT_SOURCE_DIR}/packaging/gen_man.sh
            ${HELP2MAN} $<TARGET_FILE:gridsmith>
            ${CMAKE_CURRENT_BINARY_DIR}/man ${PROJECT_VERSION}
    DEPENDS gridsmith ${CMAKE_CURRENT_SOURCE_DIR}/packaging/gen_man.sh
    COMMENT "Man pages from gridsmith --help")
  add_custom_target(man ALL DEPENDS ${GS_MAN_PAGES})
  install(FILES ${GS_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
          COMPONENT cli)
else()
  message(STATUS "help2man not found: no man pages (apt-get install help2man)")
endif()

# Bash completion, where bash-completion looks for it on demand.
install(FILES packaging/gridsmith.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME gridsmith COMPONENT cli)

# The QGIS Processing provider: QGIS loads plugins from
# PREFIX/share/qgis/python/plugins (Debian's QGIS: /usr/share/qgis/...).
install(DIRECTORY qgis_plugin/gridsmith
        DESTINATION ${CMAKE_INSTALL_DATADIR}/qgis/python/plugins
        COMPONENT qgis
        PATTERN "__pycache__" EXCLUDE PATTERN "*.pyc" EXCLUDE)

# Documentation and the licence, once per package as Debian wants them.
foreach(pkg libgridsmith0 libgridsmith-dev gridsmith qgis-plugin-gridsmith)
  if(pkg STREQUAL "libgridsmith0")
    set(comp lib)
  elseif(pkg STREQUAL "libgridsmith-dev")
    set(comp dev)
  elseif(pkg STREQUAL "gridsmith")
    set(comp cli)
  else()
    set(comp qgis)
  endif()
  install(FILES packaging/copyright
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${pkg} COMPONENT ${comp})
endforeach()
install(FILES README.md docs/design.md docs/outputs.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/gridsmith COMPONENT cli)
install(FILES packaging/deb/libgridsmith0.lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME libgridsmith0 COMPONENT lib)

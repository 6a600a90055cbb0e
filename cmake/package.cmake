# package.cmake - Debian packages with CPack (included from CMakeLists.txt).
#
#   cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr
#   cmake --build build-deb && (cd build-deb && cpack -G DEB)
#
# (scripts/package.sh does this and checks the result with lintian.) One
# package per install component, as Debian splits a library:
#   libgridsmith0          the shared library
#   libgridsmith-dev       header, pkg-config file, CMake package
#   gridsmith              the command, man pages, bash completion; it
#                          recommends fonts-noto-cjk, the Chinese font the
#                          HTML report and QGIS labels need
#   qgis-plugin-gridsmith  the QGIS Processing provider
# Each package depends on the Debian libraries its files link
# (dpkg-shlibdeps), and the library package carries a shlibs file.
set(CPACK_PACKAGE_NAME gridsmith)
set(CPACK_PACKAGE_VENDOR "the gridsmith authors")
# Who answers for the packages: set it when building packages to publish.
set(GS_DEB_MAINTAINER
    "gridsmith maintainers <maintainers@users.noreply.r-seed-3786b45c.example>"
    CACHE STRING "Maintainer field of the Debian packages")
set(CPACK_PACKAGE_CONTACT "${GS_DEB_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_CURRENT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL lib dev cli qgis)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The command links libgridsmith.so.0 of this very build.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_CURRENT_BINARY_DIR})
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
# A shlibs file for libgridsmith.so.0 (only the library package has one).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

# Descriptions: the synopsis, then the long description (CPack indents
# it). Defined empty, the project's summary is not put in front of each.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_DEBIAN_LIB_PACKAGE_NAME libgridsmith0)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# ldconfig runs through its trigger, not from maintainer scripts.
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/triggers
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/postinst
    ${CMAKE_CURRENT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_LIB_DESCRIPTION
"community grid management GIS engine - shared library
libgridsmith checks community grids (网格) against the sizing standard,
verifies grid members' GPS patrols, finds event hot spots, divides
communities into grids and scores the monthly assessment, writing
GeoPackages that open styled in QGIS.

This package holds the shared library.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libgridsmith-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS lib)
set(CPACK_DEBIAN_DEV_DESCRIPTION
"community grid management GIS engine - development files
libgridsmith checks community grids against the sizing standard, verifies
GPS patrols, finds event hot spots and divides communities into grids.

This package holds the C header, the pkg-config file and the CMake
package (find_package(gridsmith), target gridsmith::gridsmith).")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME gridsmith)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION science)
set(CPACK_DEBIAN_CLI_PACKAGE_RECOMMENDS "fonts-noto-cjk")
set(CPACK_DEBIAN_CLI_PACKAGE_SUGGESTS "qgis-plugin-gridsmith")
set(CPACK_COMPONENT_CLI_DEPENDS lib)
set(CPACK_DEBIAN_CLI_DESCRIPTION
"GIS batch engine for community grid management (网格化服务管理)
gridsmith is the command for street offices and their GIS analysts:
validate checks grids against the 300-500 household standard and the
roster, patrol verifies the week's GPS patrols, hotspots finds event hot
spots, run does the weekly job and keeps the ledger, report writes the
week's HTML report, assess scores the month and partition divides
communities into grids along roads, rivers and walls. Every result is a
GeoPackage with a QGIS project and styled layers.")

set(CPACK_DEBIAN_QGIS_PACKAGE_NAME qgis-plugin-gridsmith)
set(CPACK_DEBIAN_QGIS_PACKAGE_SECTION science)
set(CPACK_DEBIAN_QGIS_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_QGIS_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_QGIS_PACKAGE_DEPENDS "qgis, python3-qgis")
set(CPACK_COMPONENT_QGIS_DEPENDS cli)
set(CPACK_DEBIAN_QGIS_DESCRIPTION
"QGIS Processing provider for gridsmith
Offers gridsmith's validate, partition, patrol, hotspots and weekly job
as QGIS Processing algorithms: inputs from QGIS layers or files, outputs
loaded styled, progress and cancellation in the Processing dialog.")

include(CPack)

# `cmake --install` layout and a Debian package through CPack (cpack -G DEB in the build folder).
install(FILES ${CMAKE_SOURCE_DIR}/resources/flatland.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CMAKE_SOURCE_DIR}/resources/flatland.svg
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${CMAKE_SOURCE_DIR}/docs/project-file.md ${CMAKE_SOURCE_DIR}/README.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/flatland)

set(CPACK_PACKAGE_NAME "flatland")
set(CPACK_PACKAGE_VENDOR "Flatland developers")
set(CPACK_PACKAGE_CONTACT "Flatland developers <dev@flatland.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Loss landscapes of neural networks: Hessian spectra, loss surfaces, SAM")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The runtime libraries of the fixed stack, as Debian 12 names them.
set(flatland_deb_depends "libtorch1.13, libhdf5-103-1, zlib1g, libopenblas0-pthread | libblas3")
if(FLATLAND_GUI)
  string(APPEND flatland_deb_depends ", libqt6widgets6, libqt6openglwidgets6, libqt6svg6, libvtk9.1")
endif()
if(FLATLAND_MPI)
  # flatland-cli then links Open MPI's libmpi.so.40 (and libmpi_cxx.so.40), both in libopenmpi3;
  # `mpirun -np N flatland-cli …`, the reason for this build, needs mpirun/orted from openmpi-bin.
  string(APPEND flatland_deb_depends ", libopenmpi3, openmpi-bin")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${flatland_deb_depends}")
# Where dpkg-shlibdeps is installed (dpkg-dev), CPack also adds the versioned package of every
# shared library the installed binaries link, so a library added to the build later cannot be
# missing from the package; the list above stays as the floor for machines without it.
find_program(FLATLAND_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(FLATLAND_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist, hdf5-tools")
set(CPACK_STRIP_FILES ON)  # release binaries; the build tree keeps the debug info
set(CPACK_GENERATOR "DEB")
include(CPack)

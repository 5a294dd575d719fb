#ifndef TIDAL_CBLAS_SHIM_H
#define TIDAL_CBLAS_SHIM_H
// OpenBLAS (Debian: libopenblas-dev). Debian installs cblas.h through the
// alternatives system under the multiarch include directory.
#if __has_include(<x86_64-linux-gnu/cblas.h>)
#include <x86_64-linux-gnu/cblas.h>
#elif __has_include(<aarch64-linux-gnu/cblas.h>)
#include <aarch64-linux-gnu/cblas.h>
#else
#include <cblas.h>
#endif
// Provided by OpenBLAS; declared here in case the cblas.h in use is not OpenBLAS's own.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif

#ifndef TIDAL_CCSV_SHIM_H
#define TIDAL_CCSV_SHIM_H
// libcsv (Debian: libcsv-dev). No pkg-config file; the header lives in /usr/include.
#include <csv.h>
#endif

#ifndef TIDAL_CZSTD_SHIM_H
#define TIDAL_CZSTD_SHIM_H
// libzstd (Debian: libzstd-dev).
#include <zstd.h>
#include <zstd_errors.h>
#endif

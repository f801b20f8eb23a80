/* fx-good compiled as a built-in, as pouchd compiles POUCH_BUILTIN_PLUGINS. */
#define POUCH_PLUGIN_BUILTIN_ID fx_good
#include "fixtures/fx-good.c"

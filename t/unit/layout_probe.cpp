/* Prints the zone's layout stamp (see layout_probe.sh). */
#include "ngx_push_zone.h"

#include <cstdio>


int
main(void)
{
    std::printf("%08x\n", static_cast<unsigned>(NGX_PUSH_LAYOUT));
    return 0;
}

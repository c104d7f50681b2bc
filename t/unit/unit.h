/* cmocka, includable from the C++ unit tests. */

#ifndef PUSH_UNIT_H
#define PUSH_UNIT_H


/* cmocka.h uses these without including them itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

extern "C" {
#include <cmocka.h>
}


#endif /* PUSH_UNIT_H */

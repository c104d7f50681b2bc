# Per-object C++ flags: nginx compiles every addon source with its C flags,
# so the C++ dialect and runtime options are attached to our objects only,
# as GNU make target-specific variables.
NGX_PUSH_CXXFLAGS="-std=c++17 -fno-exceptions -fno-rtti \
-fno-threadsafe-statics -fvisibility=hidden -Wno-missing-field-initializers \
$NGX_PUSH_EXTRA_CXXFLAGS"

for ngx_push_src in $NGX_PUSH_SRCS
do
    ngx_push_dir=`dirname $ngx_push_src`
    ngx_push_obj="$NGX_OBJS/addon/`basename $ngx_push_dir`/`basename $ngx_push_src .cpp`.$ngx_objext"
    echo "$ngx_push_obj: CFLAGS += $NGX_PUSH_CXXFLAGS" >> $NGX_MAKEFILE
done

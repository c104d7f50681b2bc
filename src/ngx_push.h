/* The one place that includes nginx headers, inside extern "C". */
#ifndef NGX_PUSH_H_INCLUDED
#define NGX_PUSH_H_INCLUDED

extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
}

#include <string_view>


extern "C" ngx_module_t  ngx_push_module;


/* Pure code takes string_view; nginx strings are (len, u_char *). */
static inline std::string_view
ngx_push_sv(const ngx_str_t &s) noexcept
{
    return std::string_view(reinterpret_cast<const char *>(s.data), s.len);
}


/* Holds the slab pool's mutex for one scope: nginx force-unlocks it when a
 * worker dies holding it, so it is the only lock the zone uses. */
class ngx_push_shm_lock {
public:
    explicit ngx_push_shm_lock(ngx_slab_pool_t *pool) noexcept : pool_(pool)
    {
        ngx_shmtx_lock(&pool_->mutex);
    }

    ~ngx_push_shm_lock() noexcept
    {
        ngx_shmtx_unlock(&pool_->mutex);
    }

    ngx_push_shm_lock(const ngx_push_shm_lock &) = delete;
    ngx_push_shm_lock &operator=(const ngx_push_shm_lock &) = delete;

private:
    ngx_slab_pool_t  *pool_;
};

#endif /* NGX_PUSH_H_INCLUDED */

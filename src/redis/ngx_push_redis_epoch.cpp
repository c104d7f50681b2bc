/* Redis channel sharing: the deployment's epoch, and the names of its
 * keys read back. */
#include "ngx_push_redis_share_int.h"
#include "ngx_push_ipc.h"

#include <openssl/rand.h>


void
ngx_push_share_epoch_hex(uint32_t epoch, char *out)
{
    static const char  hex[] = "0123456789abcdef";
    ngx_uint_t         i;

    for (i = 0; i < 8; i++) {
        out[i] = hex[(epoch >> (28 - 4 * i)) & 0xf];
    }
}


ngx_int_t
ngx_push_share_parse_epoch(std::string_view s, uint32_t *epoch)
{
    ngx_int_t  h;
    size_t     i;
    uint32_t   v = 0;

    if (s.size() != 8) {
        return NGX_ERROR;
    }

    for (i = 0; i < 8; i++) {
        h = ngx_hextoi(reinterpret_cast<u_char *>(const_cast<char *>(
                           s.data() + i)), 1);
        if (h == NGX_ERROR) {
            return NGX_ERROR;
        }
        v = (v << 4) | static_cast<uint32_t>(h);
    }

    if (v == 0) {
        return NGX_ERROR;
    }

    *epoch = v;
    return NGX_OK;
}


/* A pub/sub key back to its channel id: "{<p>:<id>}:pubsub", escaped. */
ngx_int_t
ngx_push_share_id_of(const ngx_str_t *key, u_char *out, size_t cap,
    ngx_str_t *id)
{
    static const char  tail[] = "}:pubsub";
    size_t             i, n = 0, len;
    u_char            *p;
    ngx_push_share_t  *share = ngx_push_share_worker;

    if (key->len < share->head.len + sizeof(tail) - 1
        || ngx_memcmp(key->data, share->head.data, share->head.len) != 0
        || ngx_memcmp(key->data + key->len - (sizeof(tail) - 1), tail,
                      sizeof(tail) - 1) != 0)
    {
        return NGX_DECLINED;
    }

    p = key->data + share->head.len;
    len = key->len - share->head.len - (sizeof(tail) - 1);

    for (i = 0; i < len; i++) {
        if (n == cap) {
            return NGX_DECLINED;
        }

        if (p[i] == '%') {
            if (i + 2 >= len) {
                return NGX_DECLINED;
            }
            if (p[i + 1] == '2' && p[i + 2] == '5') {
                out[n++] = '%';
            } else if (p[i + 1] == '7' && (p[i + 2] == 'B' || p[i + 2] == 'b'))
            {
                out[n++] = '{';
            } else if (p[i + 1] == '7' && (p[i + 2] == 'D' || p[i + 2] == 'd'))
            {
                out[n++] = '}';
            } else {
                return NGX_DECLINED;
            }
            i += 2;
            continue;
        }

        out[n++] = p[i];
    }

    id->data = out;
    id->len = n;

    return NGX_OK;
}


/* The zone follows the deployment's epoch. */
void
ngx_push_share_adopt(uint32_t epoch)
{
    uint32_t           old = 0;
    ngx_uint_t         changed = 0;
    ngx_push_wake_t    wake = 0;
    ngx_push_share_t  *share = ngx_push_share_worker;
    ngx_push_zone_t   *zone = share->zone;

    {
        ngx_push_shm_lock  lock(zone->shpool);

        if (zone->sh->epoch != epoch) {
            old = zone->sh->epoch;
            changed = zone->sh->redis_epoch_ok;
            wake = ngx_push_store_new_life_locked(zone, epoch);
        }

        zone->sh->redis_epoch_ok = 1;
    }

    if (changed) {
        ngx_log_error(NGX_LOG_NOTICE, share->log, 0,
                      "push: redis epoch is %08xD now, was %08xD: the "
                      "local copies of channels are dropped",
                      epoch, old);
    }

    ngx_push_ipc_wake(wake, share->log);
}


ngx_int_t
ngx_push_share_epoch_check(ngx_push_share_op_t *op)
{
    char                      fresh[8];
    uint32_t                  v;
    ngx_push_share_t         *share = ngx_push_share_worker;
    ngx_push_redis_node_t    *node;
    ngx_push_share_echeck_t  *ec;

    do {
        if (RAND_bytes(reinterpret_cast<unsigned char *>(&v), sizeof(v))
            != 1)
        {
            v = static_cast<uint32_t>(ngx_random()) ^ ngx_pid;
        }
    } while (v == 0);

    ngx_push_share_epoch_hex(v, fresh);

    push::resp_arg  args[5] = {
        push::resp_bytes("SET"),
        push::resp_bytes(ngx_push_sv(share->epoch_key)),
        push::resp_bytes(std::string_view(fresh, 8)),
        push::resp_bytes("NX"),
        push::resp_bytes("GET")
    };

    node = ngx_push_redis_route_key(share->link,
                                    ngx_push_sv(share->epoch_key));
    if (node == nullptr) {
        return NGX_ERROR;
    }

    ec = static_cast<ngx_push_share_echeck_t *>(
             ngx_alloc(sizeof(ngx_push_share_echeck_t), share->log));
    if (ec == nullptr) {
        return NGX_ERROR;
    }

    ec->op = op;
    ec->fresh = v;

    if (ngx_push_redis_command(node, args, 5, ngx_push_share_epoch_reply, ec)
        == 0)
    {
        ngx_free(ec);
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_push_share_epoch_reply(void *data, const push::resp_node *reply,
    const char *error)
{
    char                      cur[8];
    uint32_t                  epoch;
    ngx_push_share_t         *share = ngx_push_share_worker;
    ngx_push_share_op_t      *op;
    ngx_push_share_echeck_t  *ec = static_cast<ngx_push_share_echeck_t *>(
                                       data);

    op = ec->op;
    epoch = ec->fresh;
    ngx_free(ec);

    if (share == nullptr) {
        return;
    }

    if (reply == nullptr
        || (reply->type != push::resp_type::null
            && reply->type != push::resp_type::bulk))
    {
        if (op != nullptr) {
            ngx_push_share_failed(op, error ? error : "epoch not readable");
        }
        return;
    }

    /* nil: the key was missing, the fresh value is the epoch now */
    if (reply->type == push::resp_type::bulk
        && ngx_push_share_parse_epoch(reply->str, &epoch) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, share->log, 0,
                      "push: redis holds an epoch that is not 8 hex "
                      "digits: \"%*s\"",
                      ngx_min(reply->str.size(), static_cast<size_t>(32)),
                      reply->str.data());
        if (op != nullptr) {
            ngx_push_share_failed(op, "bad epoch in redis");
        }
        return;
    }

    ngx_push_share_adopt(epoch);

    if (op == nullptr) {
        return;
    }

    /* the channel's meta under another epoch than the deployment's: an
     * orphan of a data loss; a publish starts it over.  For a read that
     * was refused stale, meta_epoch is the epoch it was sent under */
    if (op->meta_epoch[0] != '\0') {
        ngx_push_share_epoch_hex(epoch, cur);

        if (ngx_memcmp(cur, op->meta_epoch, 8) != 0) {
            if (op->kind != ngx_push_share_kind::publish) {
                /* for them, no channel in this epoch */
                push::redis_channel_reply  none{};

                none.outcome = push::redis_outcome::none;
                ngx_push_share_handle(op, none);
                return;
            }

            op->replace = 1;
        }
    }

    if (ngx_push_share_send(op) != NGX_OK) {
        ngx_push_share_failed(op, "not connected");
    }
}

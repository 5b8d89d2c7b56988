/* Power cuts: a sequence of sets, erases and commits on a 5-page partition (it reclaims pages,
 * and its blobs span pages) is cut at the start and in the middle of every flash write and
 * erase it makes, and the init after each cut is cut again at each of its own writes. After
 * every cut the partition must init, every value set before the call in progress must read
 * back, the key of that call must hold its old or its new value, the flash must hold one item
 * per key and no blob chunk without its index, and the partition must take writes and read the
 * same after another init. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_private/partition_linux.h"
#include "flash_fixture.h"
#include "nvs_fixture.h"
#include "nvs_flash.h"
#include "nvs_format.h"
#include "tls_test.h"

/* ---- the flash operations, traced (-Wl,--wrap) to know where the cuts can fall ---- */

esp_err_t __real_esp_partition_write(const esp_partition_t *p, size_t off, const void *src, size_t size);
esp_err_t __real_esp_partition_erase_range(const esp_partition_t *p, size_t off, size_t size);
esp_err_t __wrap_esp_partition_write(const esp_partition_t *p, size_t off, const void *src, size_t size);
esp_err_t __wrap_esp_partition_erase_range(const esp_partition_t *p, size_t off, size_t size);

#define MAX_FLASH_OPS 20000

typedef struct {
    size_t cost[MAX_FLASH_OPS]; /* the cycles of each write (one per 4 bytes) or erase (one per sector) */
    size_t ops;
    size_t erases;              /* page reclaims erase */
} trace_t;

static trace_t s_run;      /* the sequence's */
static trace_t s_recovery; /* one init's after a cut */
static trace_t *s_trace;   /* NULL: not tracing */

static void trace(size_t cost, bool erase)
{
    if (s_trace != NULL && s_trace->ops < MAX_FLASH_OPS) {
        s_trace->cost[s_trace->ops++] = cost;
        s_trace->erases += erase;
    }
}

esp_err_t __wrap_esp_partition_write(const esp_partition_t *p, size_t off, const void *src, size_t size)
{
    trace(size / 4, false);
    return __real_esp_partition_write(p, off, src, size);
}

esp_err_t __wrap_esp_partition_erase_range(const esp_partition_t *p, size_t off, size_t size)
{
    trace(size / ESP_PARTITION_EMULATED_SECTOR_SIZE, true);
    return __real_esp_partition_erase_range(p, off, size);
}

/* ---- the sequence and what it leaves ---- */

typedef enum { OP_U32, OP_STR, OP_BLOB, OP_ERASE, OP_ERASE_ALL } op_kind_t;

typedef struct {
    op_kind_t kind;
    int slot;     /* OP_ERASE_ALL: the namespace's first slot */
    uint32_t v;   /* the u32, or the seed of a string or blob */
    size_t len;   /* of a string (with its NUL) or blob */
} op_t;

typedef struct {
    bool present;
    op_kind_t kind; /* OP_U32, OP_STR or OP_BLOB */
    uint32_t v;
    size_t len;
} value_t;

#define SLOTS 12 /* k0-k5, s0-s2 and blob in namespace a; c0, c1 in namespace b */
static const char *const s_keys[SLOTS] = { "k0", "k1", "k2", "k3", "k4", "k5", "s0", "s1", "s2", "blob", "c0", "c1" };
#define NS_B_FIRST 10

static op_t s_seq[400];
static size_t s_seq_len;

static void add(op_kind_t kind, int slot, uint32_t v, size_t len)
{
    s_seq[s_seq_len++] = (op_t) { kind, slot, v, len };
}

static void make_sequence(void)
{
    for (uint32_t r = 0; r < 40; r++) {
        add(OP_U32, (int)(r % 6), r * 7 + 1, 0);
        add(OP_STR, 6 + (int)(r % 3), r, (r * 37) % 200 + 1);
        if (r % 4 == 0) {
            add(OP_BLOB, 9, r, 4200 - r * 10);
        }
        if (r % 5 == 2) {
            add(OP_ERASE, (int)((r + 1) % 6), 0, 0);
        }
        add(OP_U32, NS_B_FIRST + (int)(r % 2), r, 0);
        if (r % 6 == 5) {
            add(OP_ERASE_ALL, NS_B_FIRST, 0, 0);
        }
    }
}

static void apply(value_t model[SLOTS], const op_t *op)
{
    if (op->kind == OP_ERASE) {
        model[op->slot].present = false;
    } else if (op->kind == OP_ERASE_ALL) {
        for (int s = op->slot; s < SLOTS; s++) {
            model[s].present = false;
        }
    } else {
        model[op->slot] = (value_t) { true, op->kind, op->v, op->len };
    }
}

static void fill(const value_t *v, uint8_t *buf)
{
    for (size_t i = 0; i < v->len; i++) {
        buf[i] = v->kind == OP_STR ? (uint8_t)('a' + (v->v + i) % 26) : (uint8_t)(v->v * 31 + i * 7);
    }
    if (v->kind == OP_STR) {
        buf[v->len - 1] = '\0';
    }
}

static esp_err_t run_op(nvs_handle_t ha, nvs_handle_t hb, const op_t *op)
{
    nvs_handle_t h = op->slot >= NS_B_FIRST ? hb : ha;
    const char *key = s_keys[op->slot];
    uint8_t buf[4200];
    value_t v = { true, op->kind, op->v, op->len };
    fill(&v, buf);
    switch (op->kind) {
    case OP_U32:
        return nvs_set_u32(h, key, op->v);
    case OP_STR:
        return nvs_set_str(h, key, (const char *)buf);
    case OP_BLOB:
        return nvs_set_blob(h, key, buf, op->len);
    case OP_ERASE: {
        esp_err_t err = nvs_erase_key(h, key);
        return err == ESP_ERR_NVS_NOT_FOUND ? ESP_OK : err;
    }
    default: {
        esp_err_t err = nvs_erase_all(h);
        return err == ESP_OK ? nvs_commit(h) : err;
    }
    }
}

/* Runs the sequence. @return the index of the call that failed (the one the cut fell in), or
 * s_seq_len; the opens of the namespaces count as calls -2 and -1. */
static long run_sequence(void)
{
    nvs_handle_t ha, hb;
    if (nvs_open_from_partition("nvs2", "a", NVS_READWRITE, &ha) != ESP_OK) {
        return -2;
    }
    if (nvs_open_from_partition("nvs2", "b", NVS_READWRITE, &hb) != ESP_OK) {
        return -1;
    }
    long i = 0;
    while ((size_t)i < s_seq_len && run_op(ha, hb, &s_seq[i]) == ESP_OK) {
        i++;
    }
    nvs_close(ha);
    nvs_close(hb);
    return i;
}

static bool read_value(nvs_handle_t h, const char *key, value_t *out, uint8_t *buf, size_t *len)
{
    nvs_type_t type;
    *len = 4200;
    if (nvs_find_key(h, key, &type) != ESP_OK) {
        out->present = false;
        return true;
    }
    out->present = true;
    if (type == NVS_TYPE_U32) {
        out->kind = OP_U32;
        return nvs_get_u32(h, key, &out->v) == ESP_OK;
    }
    out->kind = type == NVS_TYPE_STR ? OP_STR : OP_BLOB;
    return type == NVS_TYPE_STR ? nvs_get_str(h, key, (char *)buf, len) == ESP_OK
                                : nvs_get_blob(h, key, buf, len) == ESP_OK;
}

static bool matches(const value_t *want, const value_t *got, const uint8_t *buf, size_t len)
{
    if (want->present != got->present) {
        return false;
    }
    if (!want->present) {
        return true;
    }
    if (want->kind != got->kind) {
        return false;
    }
    if (want->kind == OP_U32) {
        return want->v == got->v;
    }
    uint8_t expect[4200];
    fill(want, expect);
    return len == want->len && memcmp(buf, expect, len) == 0;
}

/* Every slot holds its value before or after the call in flight. */
static void verify(const value_t before[SLOTS], const value_t after[SLOTS], long cut_call)
{
    nvs_handle_t ha = 0, hb = 0;
    bool have_a = nvs_open_from_partition("nvs2", "a", NVS_READONLY, &ha) == ESP_OK;
    bool have_b = nvs_open_from_partition("nvs2", "b", NVS_READONLY, &hb) == ESP_OK;
    for (int s = 0; s < SLOTS; s++) {
        bool in_b = s >= NS_B_FIRST;
        value_t got = { false, OP_U32, 0, 0 };
        uint8_t buf[4200];
        size_t len = 0;
        if (in_b ? have_b : have_a) {
            assert_true(read_value(in_b ? hb : ha, s_keys[s], &got, buf, &len));
        }
        if (!matches(&before[s], &got, buf, len) && !matches(&after[s], &got, buf, len)) {
            fail_msg("cut in call %ld: key %s holds neither its old nor its new value", cut_call, s_keys[s]);
        }
    }
    nvs_close(ha);
    nvs_close(hb);
}

/* ---- the partition's consistency, read from its bytes ---- */

typedef struct {
    nvs_item_t items[5 * NVS_ENTRY_COUNT];
    size_t count;
} items_t;

static void collect_items(items_t *out)
{
    static uint8_t img[NVS_FIX_SMALL_SIZE];
    assert_int_equal(esp_partition_read(nvs_fixture_part("nvs2"), 0, img, sizeof(img)), ESP_OK);
    out->count = 0;
    for (size_t p = 0; p < sizeof(img) / NVS_PAGE_SIZE; p++) {
        nvs_page_header_t h;
        assert_int_equal(nvs_page_header_parse(img + p * NVS_PAGE_SIZE, NVS_PAGE_SIZE, &h), ESP_OK);
        assert_true(h.state != NVS_PAGE_FREEING); /* no reclaim left half done */
        for (size_t i = 0; h.state != NVS_PAGE_EMPTY && i < NVS_ENTRY_COUNT; i++) {
            nvs_item_t *it = &out->items[out->count];
            if (nvs_item_at(img + p * NVS_PAGE_SIZE, NVS_PAGE_SIZE, i, it)) {
                out->count++;
                i += it->span - 1u;
            }
        }
    }
}

static bool same_key(const nvs_item_t *a, const nvs_item_t *b)
{
    return a->ns == b->ns && strcmp(a->key, b->key) == 0;
}

/* Whether item i is a chunk that an index of its key owns; fails on a second value of a key. */
static bool owned_chunk(const items_t *all, size_t i)
{
    const nvs_item_t *a = &all->items[i];
    bool owned = false;
    for (size_t j = 0; j < all->count; j++) {
        const nvs_item_t *b = &all->items[j];
        if (j == i || !same_key(a, b) || b->type == NVS_ITEM_BLOB_DATA) {
            continue;
        }
        assert_true(a->type == NVS_ITEM_BLOB_DATA); /* else: two values of one key */
        bool in_range = a->chunk >= nvs_blob_idx_start(b) && a->chunk < nvs_blob_idx_start(b) + nvs_blob_idx_count(b);
        owned = owned || (b->type == NVS_ITEM_BLOB_IDX && in_range);
    }
    return owned;
}

/* One item per key, and every blob chunk belongs to its key's index. */
static void check_consistent(void)
{
    static items_t all;
    collect_items(&all);
    for (size_t i = 0; i < all.count; i++) {
        if (!owned_chunk(&all, i) && all.items[i].type == NVS_ITEM_BLOB_DATA) {
            fail_msg("a chunk of blob %s without its index", all.items[i].key);
        }
    }
}

static char *s_path;
static size_t s_cuts;
static size_t s_recovery_cuts;

static void power_cycle(void)
{
    esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    nvs_flash_deinit_partition("nvs2");
    fixture_power_on(s_path);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
}

/* The cut points of a trace: the start of every operation, and the middle of a longer write. */
static size_t cut_points(const trace_t *t, size_t *points, size_t max)
{
    size_t n = 0;
    size_t cycles = 0;
    for (size_t i = 0; i < t->ops && n + 2 <= max; i++) {
        points[n++] = cycles;
        if (t->cost[i] >= 2) {
            points[n++] = cycles + t->cost[i] / 2; /* a torn write */
        }
        cycles += t->cost[i];
    }
    return n;
}

typedef struct {
    value_t before[SLOTS];
    value_t after[SLOTS];
    long call;
} expect_t;

static void check_after_cut(const expect_t *e)
{
    power_cycle();
    verify(e->before, e->after, e->call);
    check_consistent();
}

/* A second cut inside the init that repairs the first one: at each of its writes. */
static void cut_recovery(const expect_t *e)
{
    static uint8_t snapshot[NVS_FIX_SMALL_SIZE];
    static size_t points[2 * MAX_FLASH_OPS];
    assert_int_equal(esp_partition_read(nvs_fixture_part("nvs2"), 0, snapshot, sizeof(snapshot)), ESP_OK);
    s_recovery.ops = 0;
    s_trace = &s_recovery;
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    s_trace = NULL;
    size_t n = cut_points(&s_recovery, points, sizeof(points) / sizeof(points[0]));
    for (size_t i = 0; i < n; i++) {
        nvs_flash_deinit_partition("nvs2");
        fixture_flash_write(s_path, NVS_FIX_SMALL, snapshot, sizeof(snapshot));
        fixture_power_on(s_path);
        esp_partition_fail_after(points[i], ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
        nvs_flash_init_partition("nvs2"); /* fails, or not if the cut fell after its last write */
        check_after_cut(e);
        s_recovery_cuts++;
    }
    nvs_flash_deinit_partition("nvs2");
    fixture_flash_write(s_path, NVS_FIX_SMALL, snapshot, sizeof(snapshot));
    fixture_power_on(s_path);
}

static void cut_at(size_t cycles)
{
    assert_int_equal(nvs_flash_erase_partition("nvs2"), ESP_OK);
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    esp_partition_fail_after(cycles, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    expect_t e = { .call = run_sequence() };
    for (long i = 0; i < e.call; i++) {
        apply(e.before, &s_seq[i]);
    }
    memcpy(e.after, e.before, sizeof(e.after));
    if (e.call >= 0 && (size_t)e.call < s_seq_len) {
        apply(e.after, &s_seq[e.call]);
    }
    esp_partition_fail_after(SIZE_MAX, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
    nvs_flash_deinit_partition("nvs2");
    cut_recovery(&e);
    check_after_cut(&e);
    /* consistent: it takes a write, and another init changes nothing */
    nvs_handle_t h;
    assert_int_equal(nvs_open_from_partition("nvs2", "after", NVS_READWRITE, &h), ESP_OK);
    assert_int_equal(nvs_set_u32(h, "k", 42), ESP_OK);
    nvs_close(h);
    power_cycle();
    verify(e.before, e.after, e.call);
    s_cuts++;
}

static void test_power_cut_at_every_write(void **state)
{
    (void)state;
    make_sequence();
    assert_int_equal(nvs_flash_init_partition("nvs2"), ESP_OK);
    s_trace = &s_run;
    long done = run_sequence();
    s_trace = NULL;
    assert_int_equal(done, (long)s_seq_len); /* without a cut, every call succeeds */
    assert_true(s_run.ops < MAX_FLASH_OPS);
    assert_true(s_run.erases >= 3);          /* pages were reclaimed */
    static size_t points[2 * MAX_FLASH_OPS];
    size_t n = cut_points(&s_run, points, sizeof(points) / sizeof(points[0]));
    for (size_t i = 0; i < n; i++) {
        cut_at(points[i]);
    }
    printf("%zu calls, %zu flash writes and %zu erases, %zu cuts; %zu more cuts in the inits that repaired them\n",
           s_seq_len, s_run.ops - s_run.erases, s_run.erases, s_cuts, s_recovery_cuts);
    /* the README gives these numbers */
    assert_int_equal(s_seq_len, 144);
    assert_int_equal(s_run.ops, 633);
    assert_int_equal(s_cuts, 802);
    assert_int_equal(s_recovery_cuts, 10399);
    nvs_flash_erase_partition("nvs2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_cut_at_every_write),
    };
    s_path = nvs_fixture_start();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    nvs_fixture_end(s_path);
    return failed;
}

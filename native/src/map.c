/* Open-addressing hash map with short byte keys (connection IDs, u64 handles). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint64_t hash_key(const uint8_t *key, size_t len) {
    uint64_t h = 0xcbf29ce484222325u ^ len; /* FNV-1a, then a final mix */
    for (size_t i = 0; i < len; i++) {
        h ^= key[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

static bool slot_matches(const cq_map_slot *s, const uint8_t *key, size_t len) {
    return s->used && s->keylen == len && memcmp(s->key, key, len) == 0;
}

void cq_map_free(cq_map *map) {
    free(map->slots);
    map->slots = NULL;
    map->capacity = map->count = 0;
}

static cq_map_slot *find_slot(const cq_map *map, const uint8_t *key, size_t len) {
    if (map->capacity == 0 || len > CQ_MAP_KEY_MAX) return NULL;
    size_t mask = map->capacity - 1;
    for (size_t i = hash_key(key, len) & mask;; i = (i + 1) & mask) {
        cq_map_slot *s = &map->slots[i];
        if (!s->used) return NULL;
        if (slot_matches(s, key, len)) return s;
    }
}

void *cq_map_get(const cq_map *map, const uint8_t *key, size_t keylen) {
    cq_map_slot *s = find_slot(map, key, keylen);
    return s ? s->value : NULL;
}

static void insert_unchecked(cq_map *map, const uint8_t *key, size_t len, void *value) {
    size_t mask = map->capacity - 1;
    size_t i = hash_key(key, len) & mask;
    while (map->slots[i].used) i = (i + 1) & mask;
    cq_map_slot *s = &map->slots[i];
    s->used = 1;
    s->keylen = (uint8_t)len;
    memcpy(s->key, key, len);
    s->value = value;
    map->count++;
}

static int grow(cq_map *map) {
    size_t cap = map->capacity ? map->capacity * 2 : 16;
    cq_map_slot *old = map->slots;
    size_t old_cap = map->capacity;
    map->slots = calloc(cap, sizeof *map->slots);
    if (!map->slots) {
        map->slots = old;
        return -1;
    }
    map->capacity = cap;
    map->count = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used) insert_unchecked(map, old[i].key, old[i].keylen, old[i].value);
    free(old);
    return 0;
}

int cq_map_put(cq_map *map, const uint8_t *key, size_t keylen, void *value) {
    if (keylen > CQ_MAP_KEY_MAX) return -1;
    cq_map_slot *s = find_slot(map, key, keylen);
    if (s) {
        s->value = value;
        return 0;
    }
    if ((map->count + 1) * 4 > map->capacity * 3 && grow(map) != 0) return -1;
    insert_unchecked(map, key, keylen, value);
    return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
void cq_map_remove(cq_map *map, const uint8_t *key, size_t keylen) {
    cq_map_slot *s = find_slot(map, key, keylen);
    if (!s) return;
    size_t mask = map->capacity - 1;
    size_t hole = (size_t)(s - map->slots);
    s->used = 0;
    map->count--;
    for (size_t i = (hole + 1) & mask; map->slots[i].used; i = (i + 1) & mask) {
        size_t home = hash_key(map->slots[i].key, map->slots[i].keylen) & mask;
        /* Move the entry into the hole if its home is not in (hole, i]. */
        bool in_range = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!in_range) {
            map->slots[hole] = map->slots[i];
            map->slots[i].used = 0;
            hole = i;
        }
    }
}

void *cq_map_get_u64(const cq_map *map, uint64_t key) {
    return cq_map_get(map, (const uint8_t *)&key, sizeof key);
}
int cq_map_put_u64(cq_map *map, uint64_t key, void *value) {
    return cq_map_put(map, (const uint8_t *)&key, sizeof key, value);
}
void cq_map_remove_u64(cq_map *map, uint64_t key) {
    cq_map_remove(map, (const uint8_t *)&key, sizeof key);
}

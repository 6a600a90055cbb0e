/*
 * seeds.c - the random stream of a division and the seed of a community.
 *
 * Divisions draw random spanning trees (bisection.c); to be repeatable
 * they draw from a splitmix64 stream whose seed comes from the user's seed
 * and the community's code, so the result depends on neither the number
 * of threads nor the order in which communities are divided.
 */
#include "piece_graph.h"

uint64_t gs__splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double gs__uniform(uint64_t *s) {
    return (double)(gs__splitmix(s) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t gs__partition_seed(uint64_t seed, const char *code) {
    uint64_t hsh = 1469598103934665603ull, s;
    for (const unsigned char *p = (const unsigned char *)(code ? code : ""); *p;
         p++) {
        hsh ^= *p;
        hsh *= 1099511628211ull;
    }
    s = seed ^ hsh;
    return gs__splitmix(&s);
}

/**
 * The Redis sorted set of renders in `derived/` by last use (member: the key, score: milliseconds): the imaging
 * service adds to it on every render and cache hit, the janitor trims `derived/` least recently used first.
 */
export const DERIVED_ACCESS_KEY = 'imaging:derived:used';

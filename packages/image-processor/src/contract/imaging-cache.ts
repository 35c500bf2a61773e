/**
 * The Redis sorted set of renders in `derived/` by last use (member: the key, score: milliseconds): the imaging
 * service adds to it on every render and cache hit, the janitor trims `derived/` least recently used first.
 */
export const DERIVED_ACCESS_KEY = 'imaging:derived:used';

/**
 * The Redis hash from each render of a stored source to that source (`<source key>\n<etag>`): the janitor removes
 * renders whose source was deleted or replaced (no URL can reach them any more).
 */
export const DERIVED_SOURCES_KEY = 'imaging:derived:sources';

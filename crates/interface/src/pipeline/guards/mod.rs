//! Guards: decide whether a request may reach its handler at all.
//!
//! Guards arrive with the features that need them (authentication, ownership,
//! throttling); each lives in its own file here and is declared on the routes it
//! protects, as a poem-openapi security scheme or extractor.

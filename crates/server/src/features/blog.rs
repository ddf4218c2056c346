//! Blogs: list, detail, write, edit, soft delete; reads cached in the store.

use std::sync::Arc;
use std::time::Duration;

use qblog_application::blog::{BlogService, BlogServiceImpl};
use qblog_domain::blog::BlogRepository;
use qblog_domain::clock::Clock;
use qblog_domain::store::KeyValueStore;
use qblog_domain::user::UserRepository;
use qblog_infrastructure::blog::{
    BlogCacheOptions, SeaOrmBlogRepository, StoreBlogCache, StoreBlogCacheParameters,
};
use qblog_infrastructure::database::DatabasePool;
use qblog_interface::blog::BlogController;
use shaku::{HasComponent, module};

use super::{AccountsModuleInterface, Wiring};
use crate::di::CoreModule;

/// What other features may use of blogs: the service and the repository.
pub trait BlogModuleInterface:
    HasComponent<dyn BlogService> + HasComponent<dyn BlogRepository>
{
}

/// `module!` takes no doc comments: `BlogModule` is the blogs.
#[allow(missing_docs)]
mod definition {
    use super::*;

    module! {
        pub BlogModule: BlogModuleInterface {
            components = [SeaOrmBlogRepository, StoreBlogCache, BlogServiceImpl],
            providers = [],

            use dyn CoreModule {
                components = [dyn DatabasePool, dyn Clock, dyn KeyValueStore],
                providers = []
            },

            use dyn AccountsModuleInterface {
                components = [dyn UserRepository],
                providers = []
            }
        }
    }
}

pub use definition::BlogModule;

/// Wires blogs: `/api/blog/*`. Needs accounts (authors are users).
///
/// # Errors
/// When accounts are not wired yet.
pub fn wire(w: &mut Wiring<'_>) -> anyhow::Result<BlogController> {
    let accounts = w.module::<dyn AccountsModuleInterface>()?;
    let settings = &w.settings.blog;
    let module = Arc::new(
        BlogModule::builder(Arc::clone(&w.core), accounts)
            .with_component_parameters::<StoreBlogCache>(StoreBlogCacheParameters {
                options: BlogCacheOptions {
                    enabled: settings.cache,
                    ttl: Duration::from_secs(settings.cache_ttl_secs),
                    max_entry_bytes: settings.cache_max_entry_bytes,
                },
            })
            .build(),
    );
    w.provide::<dyn BlogModuleInterface>(module.clone());
    Ok(BlogController::new(module.resolve()))
}

//! Blogs: list, detail, write, edit, soft delete.

use std::sync::Arc;

use qblog_application::blog::{BlogService, BlogServiceImpl};
use qblog_domain::blog::BlogRepository;
use qblog_domain::clock::Clock;
use qblog_domain::user::UserRepository;
use qblog_infrastructure::blog::SeaOrmBlogRepository;
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
            components = [SeaOrmBlogRepository, BlogServiceImpl],
            providers = [],

            use dyn CoreModule {
                components = [dyn DatabasePool, dyn Clock],
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
    let module = Arc::new(BlogModule::builder(Arc::clone(&w.core), accounts).build());
    w.provide::<dyn BlogModuleInterface>(module.clone());
    Ok(BlogController::new(module.resolve()))
}

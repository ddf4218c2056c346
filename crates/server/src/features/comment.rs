//! Comments on blogs: `/api/comment/*`.

use std::sync::Arc;

use qblog_application::comment::{CommentService, CommentServiceImpl};
use qblog_domain::blog::BlogRepository;
use qblog_domain::clock::Clock;
use qblog_domain::comment::CommentRepository;
use qblog_infrastructure::comment::SeaOrmCommentRepository;
use qblog_infrastructure::database::DatabasePool;
use qblog_interface::comment::CommentController;
use shaku::{HasComponent, module};

use super::Wiring;
use super::blog::BlogModuleInterface;
use crate::di::CoreModule;

/// What other features may use of comments: the service and the repository.
pub trait CommentModuleInterface:
    HasComponent<dyn CommentService> + HasComponent<dyn CommentRepository>
{
}

/// `module!` takes no doc comments: `CommentModule` is the comments.
#[allow(missing_docs)]
mod definition {
    use super::*;

    module! {
        pub CommentModule: CommentModuleInterface {
            components = [SeaOrmCommentRepository, CommentServiceImpl],
            providers = [],

            use dyn CoreModule {
                components = [dyn DatabasePool, dyn Clock],
                providers = []
            },

            use dyn BlogModuleInterface {
                components = [dyn BlogRepository],
                providers = []
            }
        }
    }
}

pub use definition::CommentModule;

/// Wires comments: `/api/comment/*`. Needs blogs (a comment belongs to one).
///
/// # Errors
/// When blogs are not wired yet.
pub fn wire(w: &mut Wiring<'_>) -> anyhow::Result<CommentController> {
    let blogs = w.module::<dyn BlogModuleInterface>()?;
    let module = Arc::new(CommentModule::builder(Arc::clone(&w.core), blogs).build());
    w.provide::<dyn CommentModuleInterface>(module.clone());
    Ok(CommentController::new(module.resolve()))
}

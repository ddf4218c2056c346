//! `Argon2PasswordHasher`: Argon2id with the crate's recommended parameters.
//!
//! Hashing costs ~10+ ms of CPU and ~19 MiB of memory on purpose. It runs on Tokio's
//! blocking pool, at most `permits` at a time, so a burst of logins queues here instead
//! of occupying the async workers that serve every other request. The permit belongs
//! to the blocking job, not to the request's future: a client that disconnects stops
//! waiting, but the slot stays taken until its hash is done, so disconnecting and
//! retrying cannot run more hashes at once than the limit.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use async_trait::async_trait;
use qblog_domain::user::{Password, PasswordHash, PasswordHasher, UserError};
use shaku::Component;
use tokio::sync::{OnceCell, Semaphore};

/// Hashes with Argon2id off the async workers.
#[derive(Component)]
#[shaku(interface = PasswordHasher)]
pub struct Argon2PasswordHasher {
    /// How many hashes may run at once (`auth.hash_concurrency`).
    #[shaku(default = Arc::new(Semaphore::new(2)))]
    permits: Arc<Semaphore>,
    /// A hash of a fixed string, verified against when the user is unknown.
    #[shaku(force_default)]
    stand_in: OnceCell<String>,
}

impl Argon2PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            stand_in: OnceCell::new(),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, UserError> + Send + 'static,
    ) -> Result<T, UserError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| UserError::Unexpected(anyhow!("the hashing semaphore was closed")))?;
        tokio::task::spawn_blocking(move || {
            let _held_until_done = permit;
            work()
        })
        .await
        .context("the hashing task failed")?
    }

    async fn hash_text(&self, password: String) -> Result<String, UserError> {
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|err| UserError::Unexpected(anyhow!("argon2 hashing failed: {err}")))
        })
        .await
    }
}

#[async_trait]
impl PasswordHasher for Argon2PasswordHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, UserError> {
        self.hash_text(password.expose().to_owned())
            .await
            .map(PasswordHash::new)
    }

    async fn verify<'a>(
        &self,
        password: &Password,
        hash: Option<&'a PasswordHash>,
    ) -> Result<bool, UserError> {
        let (phc, real) = match hash {
            Some(hash) => (hash.as_str().to_owned(), true),
            None => {
                let stand_in = self
                    .stand_in
                    .get_or_try_init(|| self.hash_text("qblog stand-in password".to_owned()))
                    .await?;
                (stand_in.clone(), false)
            }
        };
        let password = password.expose().to_owned();
        let matches = self
            .run(move || {
                let parsed =
                    argon2::password_hash::phc::PasswordHash::new(&phc).map_err(|err| {
                        UserError::Unexpected(anyhow!("stored hash is invalid: {err}"))
                    })?;
                Ok(Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok())
            })
            .await?;
        Ok(real && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(text).expect("valid")
    }

    #[tokio::test]
    async fn a_hash_is_an_argon2id_phc_string_that_verifies_only_its_password() {
        let hasher = Argon2PasswordHasher::new(2);
        let hash = hasher
            .hash(&password("right-password"))
            .await
            .expect("hashed");
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(!hash.as_str().contains("right-password"));
        assert!(
            hasher
                .verify(&password("right-password"), Some(&hash))
                .await
                .expect("ran")
        );
        assert!(
            !hasher
                .verify(&password("wrong-password"), Some(&hash))
                .await
                .expect("ran")
        );
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let hasher = Argon2PasswordHasher::new(2);
        let first = hasher
            .hash(&password("same-password"))
            .await
            .expect("hashed");
        let second = hasher
            .hash(&password("same-password"))
            .await
            .expect("hashed");
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_hash_whose_caller_gave_up_keeps_its_slot_until_it_is_done() {
        let hasher = Arc::new(Argon2PasswordHasher::new(1));
        let caller = {
            let hasher = Arc::clone(&hasher);
            tokio::spawn(async move { hasher.hash(&password("abandoned-pass")).await })
        };
        while hasher.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // The client disconnects: its request's future is dropped mid-hash.
        caller.abort();
        let _ = caller.await;
        assert_eq!(
            hasher.permits.available_permits(),
            0,
            "the running hash must keep its slot"
        );
        let freed = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while hasher.permits.available_permits() == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
        .await;
        assert!(freed.is_ok(), "the slot comes back once the hash is done");
    }

    #[tokio::test]
    async fn without_a_hash_nothing_verifies() {
        let hasher = Argon2PasswordHasher::new(1);
        assert!(
            !hasher
                .verify(&password("qblog stand-in password"), None)
                .await
                .expect("ran")
        );
    }
}

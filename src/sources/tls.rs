//! TLS set-up shared by every HTTP client in the process (kube and reqwest).
//!
//! reqwest is built without a bundled crypto provider and kube uses rustls with `ring`, so the
//! process installs `ring` as rustls' default provider once, before any client is made.

use std::sync::Once;

static INSTALL: Once = Once::new();

/// Installs the process-wide rustls crypto provider. Idempotent; call it before building any
/// `reqwest::Client` or `kube::Client`.
pub fn ensure_crypto_provider() {
    INSTALL.call_once(|| {
        // Err means another provider was installed first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

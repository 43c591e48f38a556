//! Error and panic reporting. The panic hook restores the terminal first, then prints the
//! report, so a crash never leaves the user's shell in raw mode on the alternate screen.

use color_eyre::config::HookBuilder;

/// Installs color-eyre's error hook and a panic hook that restores the terminal first.
pub fn install_hooks() -> color_eyre::Result<()> {
    use std::io::IsTerminal;
    let mut builder = HookBuilder::default();
    if !std::io::stderr().is_terminal() {
        // A log file or a pipe gets plain text, not colour codes.
        builder = builder.theme(color_eyre::config::Theme::new());
    }
    let (panic_hook, eyre_hook) = builder
        .display_env_section(false)
        .panic_section("kdeck crashed. Please report this with the log file (kdeck.log in the state directory).")
        .into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        let was_active = crate::tui::is_active();
        crate::tui::restore();
        tracing::error!("panic: {info}");
        panic_hook(info);
        if was_active {
            // A panic on any thread while the console runs ends the session: the screen can
            // no longer be trusted, and the terminal is already restored.
            std::process::exit(101);
        }
    }));
    Ok(())
}

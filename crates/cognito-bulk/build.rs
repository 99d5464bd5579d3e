//! Records the commit the binary is built from, for `--version`: `COGNITO_BULK_COMMIT` from the environment (for
//! packagers building outside a checkout), else `git rev-parse`, else nothing.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=COGNITO_BULK_COMMIT");
    for path in [
        "../../.git/HEAD",
        "../../.git/refs/heads",
        "../../.git/packed-refs",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
    let commit = std::env::var("COGNITO_BULK_COMMIT").ok().or_else(|| {
        let out = Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    println!(
        "cargo:rustc-env=COGNITO_BULK_COMMIT={}",
        commit.unwrap_or_default()
    );
}

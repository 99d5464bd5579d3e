//! Seed and state files. Format: `{"UserPools": [pool, ...]}` where a pool is a `CreateUserPool` request plus
//! `"Id"`, `"Groups"` (`CreateGroup` requests) and `"Users"`, and a user is `{"Username", "Attributes", "Enabled",
//! "UserStatus", "Sub", "Groups"}` (`"Groups"`: the names of the groups it is a member of). State files
//! add timestamps and pending values, so a state file is also a valid seed. State is written atomically
//! (temporary file in the same directory, fsync, rename, fsync of the directory).

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::EmulatorError;
use super::model::{AttributeType, Group, Pool, PoolSettings};
use super::store::{NewUser, State, epoch_now};

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SeedFile {
    #[serde(default)]
    user_pools: Vec<SeedPool>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedPool {
    id: String,
    #[serde(flatten)]
    settings: PoolSettings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    creation_date: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified_date: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<SeedGroup>,
    #[serde(default)]
    users: Vec<SeedUser>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedGroup {
    group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    precedence: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    creation_date: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified_date: Option<f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SeedUser {
    username: String,
    #[serde(default)]
    attributes: Vec<AttributeType>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "confirmed")]
    user_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_create_date: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_last_modified_date: Option<f64>,
    /// Values waiting for verification (state files only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pending_attributes: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
}

fn yes() -> bool {
    true
}

fn confirmed() -> String {
    "CONFIRMED".to_string()
}

/// Reads a seed or state file into `state`, validating every pool and user.
pub(crate) fn load(path: &Path, state: &mut State) -> Result<(), EmulatorError> {
    let text = std::fs::read(path).map_err(|source| EmulatorError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let file: SeedFile =
        serde_json::from_slice(&text).map_err(|source| EmulatorError::ParseFile {
            path: path.to_path_buf(),
            source,
        })?;
    // The text is not needed any more: free it before the users are built (peak memory of a large seed).
    drop(text);
    let now = epoch_now();
    for seed in file.user_pools {
        let pool_error = |reason: String| EmulatorError::InvalidSeedPool {
            path: path.to_path_buf(),
            pool: seed.id.clone(),
            reason,
        };
        let mut check = super::constraints::Violations::default();
        super::constraints::user_pool_id(&mut check, &seed.id);
        check.into_result().map_err(|e| pool_error(e.message))?;
        if state.pools.contains_key(&seed.id) {
            return Err(pool_error("duplicate pool id".to_string()));
        }
        let mut pool = Pool::new(
            seed.id.clone(),
            seed.settings,
            seed.creation_date.unwrap_or(now),
        )
        .map_err(|e| pool_error(e.message))?;
        for group in seed.groups {
            let mut check = super::constraints::Violations::default();
            super::constraints::group_name(&mut check, &group.group_name);
            check.into_result().map_err(|e| pool_error(e.message))?;
            let created = group.creation_date.unwrap_or(now);
            let name = group.group_name.clone();
            pool.create_group(
                Group {
                    name: group.group_name,
                    description: group.description,
                    role_arn: group.role_arn,
                    precedence: group.precedence,
                    created,
                    modified: created,
                    members: Default::default(),
                },
                created,
            )
            .map_err(|e| pool_error(e.message))?;
            if let (Some(modified), Some(g)) =
                (group.last_modified_date, pool.groups.get_mut(&name))
            {
                g.modified = modified;
            }
        }
        for user in seed.users {
            let user_error = |reason: String| EmulatorError::InvalidSeedUser {
                path: path.to_path_buf(),
                pool: seed.id.clone(),
                user: user.username.clone(),
                reason,
            };
            let mut check = super::constraints::Violations::default();
            super::constraints::username(&mut check, &user.username);
            super::constraints::attributes(&mut check, "attributes", &user.attributes);
            check.into_result().map_err(|e| user_error(e.message))?;
            let username = user.username.clone();
            let new = NewUser {
                username: user.username,
                attributes: user
                    .attributes
                    .into_iter()
                    .filter(|a| a.name.as_deref() != Some("sub"))
                    .map(|a| (a.name.unwrap_or_default(), a.value.unwrap_or_default()))
                    .collect(),
                sub: user.sub,
                enabled: user.enabled,
                status: user.user_status,
                created: user.user_create_date,
                modified: user.user_last_modified_date,
                pending: user.pending_attributes,
            };
            let invalid = |e: super::protocol::ApiError| EmulatorError::InvalidSeedUser {
                path: path.to_path_buf(),
                pool: seed.id.clone(),
                user: username.clone(),
                reason: format!("{}: {}", e.code, e.message),
            };
            let seq = pool.create_user(new, now).map_err(invalid)?;
            let modified = pool.users[&seq].modified;
            for group in &user.groups {
                pool.set_member(seq, group, true, modified)
                    .map_err(invalid)?;
            }
        }
        pool.modified = seed.last_modified_date.unwrap_or(pool.created);
        state.pools.insert(seed.id, pool);
    }
    Ok(())
}

/// The state in seed-file form.
pub(crate) fn snapshot(state: &State) -> SeedFile {
    SeedFile {
        user_pools: state
            .pools
            .values()
            .map(|pool| SeedPool {
                id: pool.id.clone(),
                settings: pool.settings.clone(),
                creation_date: Some(pool.created),
                last_modified_date: Some(pool.modified),
                groups: pool
                    .groups
                    .values()
                    .map(|g| SeedGroup {
                        group_name: g.name.clone(),
                        description: g.description.clone(),
                        role_arn: g.role_arn.clone(),
                        precedence: g.precedence,
                        creation_date: Some(g.created),
                        last_modified_date: Some(g.modified),
                    })
                    .collect(),
                users: pool
                    .users
                    .values()
                    .map(|u| SeedUser {
                        username: u.username.clone(),
                        attributes: u
                            .attributes
                            .iter()
                            .filter(|(n, _)| n.as_str() != "sub")
                            .map(|(n, v)| AttributeType {
                                name: Some(n.clone()),
                                value: Some(v.clone()),
                            })
                            .collect(),
                        enabled: u.enabled,
                        user_status: u.status.clone(),
                        sub: Some(u.sub.clone()),
                        user_create_date: Some(u.created),
                        user_last_modified_date: Some(u.modified),
                        pending_attributes: u.pending.clone(),
                        groups: u.groups.iter().cloned().collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Writes `snapshot` to `path` atomically: temporary file in the same directory, fsync, rename, fsync of the
/// directory.
pub(crate) fn save(path: &Path, snapshot: &SeedFile) -> Result<(), EmulatorError> {
    let err = |source| EmulatorError::WriteState {
        path: path.to_path_buf(),
        source,
    };
    let json = serde_json::to_vec_pretty(snapshot).map_err(|e| err(e.into()))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // One name per save, so that two saves (two emulators of one process on one path) never share it.
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let save = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{file_name}.tmp-{}-{save}", std::process::id()));
    let _ = std::fs::remove_file(&tmp); // a leftover of a killed emulator with the same pid
    let write = || -> std::io::Result<()> {
        // The state holds users' personal data: private, and never through a link left at the temporary name.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&json)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself survives a crash only once the directory is on disk.
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

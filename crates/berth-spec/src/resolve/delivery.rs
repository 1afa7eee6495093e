//! Delivery settings: the repository, a service's strategy and a store's backups, with their
//! defaults (docs/delivery.md).

use crate::model::{BackupModel, RepositoryModel, StrategyModel};
use crate::spec::{Backup, Repository, Strategy, StrategyKind};

/// Canary traffic steps when none are written.
pub const DEFAULT_CANARY_STEPS: [u32; 3] = [10, 25, 50];
/// Pause after each canary step (and blue-green preview time) when none is written.
pub const DEFAULT_PAUSE_S: u32 = 60;
/// Highest error ratio in percent the analysis accepts when none is written.
pub const DEFAULT_MAX_ERROR_PERCENT: u32 = 5;
/// Days a backup is kept when `retain` is not written.
pub const DEFAULT_RETAIN_DAYS: u32 = 7;

pub(super) fn repository(r: &Repository) -> RepositoryModel {
    RepositoryModel {
        url: r.url.value.clone(),
        branch: r
            .branch
            .as_ref()
            .map_or_else(|| "main".to_string(), |b| b.value.clone()),
        path: r
            .path
            .as_ref()
            .map_or("deploy", |p| p.value.trim_matches('/'))
            .to_string(),
        test: r.test.as_ref().map(|t| t.value.clone()),
    }
}

pub(super) fn strategy(s: Option<&Strategy>) -> StrategyModel {
    let Some(s) = s else {
        return StrategyModel::Rolling;
    };
    let detail = match s {
        Strategy::Detailed(d) => Some(d),
        Strategy::Kind(_) => None,
    };
    let pause_s = detail
        .and_then(|d| d.pause.as_ref())
        .map_or(DEFAULT_PAUSE_S, |p| p.value.secs());
    let max_error_percent = detail
        .and_then(|d| d.max_error_percent.as_ref())
        .map_or(DEFAULT_MAX_ERROR_PERCENT, |p| p.value);
    match s.kind() {
        StrategyKind::Rolling => StrategyModel::Rolling,
        StrategyKind::BlueGreen => StrategyModel::BlueGreen {
            pause_s,
            max_error_percent,
        },
        StrategyKind::Canary => {
            let steps: Vec<u32> = detail
                .map(|d| d.steps.iter().map(|s| s.value).collect())
                .unwrap_or_default();
            StrategyModel::Canary {
                steps: if steps.is_empty() {
                    DEFAULT_CANARY_STEPS.to_vec()
                } else {
                    steps
                },
                pause_s,
                max_error_percent,
            }
        }
    }
}

pub(super) fn backup(b: &Backup) -> BackupModel {
    BackupModel {
        schedule: b.schedule.value.trim().to_string(),
        retain_days: b.retain.as_ref().map_or(DEFAULT_RETAIN_DAYS, |r| r.value),
    }
}

//! The third-party actions the workflows use, each pinned by the full commit SHA of a
//! release (a tag can be moved; a commit cannot). The comment names the release.

/// `(action, commit, release)`.
pub const PINNED: [(&str, &str, &str); 8] = [
    (
        "actions/checkout",
        "11bd71901bbe5b1630ceea73d27597364c9af683",
        "v4.2.2",
    ),
    (
        "actions/cache",
        "1bd1e32a3bdc45362d1e726936510720a7c30a57",
        "v4.2.0",
    ),
    (
        "docker/setup-buildx-action",
        "c47758b77c9736f4b2ef4073d4d51994fabfe349",
        "v3.7.1",
    ),
    (
        "docker/build-push-action",
        "4f58ea79222b3b9dc2c8bbdd6debcef730109a75",
        "v6.9.0",
    ),
    (
        "docker/login-action",
        "9780b0c442fbb1117ed29e0efdff1e18412f7567",
        "v3.3.0",
    ),
    (
        "aws-actions/configure-aws-credentials",
        "e3dd6a429d7300a6a4c196c26e071d42e0343502",
        "v4.0.2",
    ),
    (
        "aws-actions/amazon-ecr-login",
        "062b18b96a7aff071d4dc91bc00c4c1a7945b076",
        "v2.0.1",
    ),
    (
        "hashicorp/setup-terraform",
        "b9cd54a3c349d3f38e8881555d616ced269862dd",
        "v3.1.2",
    ),
];

/// `owner/name@sha` of a pinned action. Panics on an action not in [`PINNED`] (a bug here,
/// caught by the tests: every workflow of every example is rendered).
pub fn uses(action: &str) -> String {
    let (_, sha, _) = PINNED
        .iter()
        .find(|(a, _, _)| *a == action)
        .unwrap_or_else(|| panic!("action {action} is not pinned in ci/actions.rs"));
    format!("{action}@{sha}")
}

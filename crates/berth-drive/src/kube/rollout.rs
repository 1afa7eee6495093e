//! Where an Argo Rollout stands, from `kubectl get rollouts.argoproj.io NAME -o json`: its
//! phase, the canary step it is at (of how many) and the controller's message.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutStep {
    /// `Progressing`, `Paused`, `Healthy`, `Degraded`.
    pub phase: String,
    /// `canary` or `blue-green`.
    pub strategy: String,
    /// The current canary step, 1-based (all done: `steps`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    /// The controller's message (why it paused or aborted).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl RolloutStep {
    /// `canary step 3/6 Paused`, `blue-green Healthy`.
    pub fn summary(&self) -> String {
        let mut s = self.strategy.clone();
        if let (Some(step), Some(steps)) = (self.step, self.steps) {
            s.push_str(&format!(" step {step}/{steps}"));
        }
        s.push(' ');
        s.push_str(&self.phase);
        if !self.message.is_empty() {
            s.push_str(&format!(" ({})", self.message));
        }
        s
    }
}

pub fn parse(json: &str) -> Option<RolloutStep> {
    let v: Value = serde_json::from_str(json).ok()?;
    let status = &v["status"];
    let canary = &v["spec"]["strategy"]["canary"];
    let steps = canary["steps"].as_array().map(|a| a.len() as u64);
    let strategy = if canary.is_object() {
        "canary"
    } else {
        "blue-green"
    };
    Some(RolloutStep {
        phase: status["phase"].as_str().unwrap_or("Unknown").to_string(),
        strategy: strategy.to_string(),
        step: steps.map(|n| {
            status["currentStepIndex"]
                .as_u64()
                .map_or(0, |i| (i + 1).min(n))
        }),
        steps,
        message: status["message"].as_str().unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_canary_says_its_step() {
        let json = r#"{"spec":{"strategy":{"canary":{"steps":[{"setWeight":10},{"pause":{"duration":"60s"}},{"setWeight":50},{"pause":{"duration":"60s"}}]}}},
            "status":{"phase":"Paused","currentStepIndex":1,"message":"CanaryPauseStep"}}"#;
        let s = parse(json).unwrap();
        assert_eq!((s.step, s.steps), (Some(2), Some(4)));
        assert_eq!(s.summary(), "canary step 2/4 Paused (CanaryPauseStep)");
        let done = parse(r#"{"spec":{"strategy":{"canary":{"steps":[{"setWeight":10}]}}},"status":{"phase":"Healthy","currentStepIndex":1}}"#).unwrap();
        assert_eq!(done.summary(), "canary step 1/1 Healthy");
        let bg = parse(r#"{"spec":{"strategy":{"blueGreen":{}}},"status":{"phase":"Healthy"}}"#)
            .unwrap();
        assert_eq!(bg.summary(), "blue-green Healthy");
        assert!(parse("not json").is_none());
    }
}

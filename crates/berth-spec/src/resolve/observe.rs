//! Observability of one environment: each key of `observability:` is the nearest one written
//! along the `extends` chain, else the stack's, else the default (flags off, `15d`, `30s`, 0.1);
//! a service's metrics endpoint; and the `OTEL_*` variables every workload gets when traces are
//! on (docs/observability.md).

use crate::duration::Duration;
use crate::extends::Chain;
use crate::model::{
    EnvOrigin, EnvValue, EnvVar, MetricsModel, ObservabilityModel, PortModel, OTEL_COLLECTOR,
    OTLP_HTTP_PORT,
};
use crate::source::Spanned;
use crate::spec::{Observability, Platform, Service, Spec};

pub(crate) fn observability(spec: &Spec, chain: &Chain) -> ObservabilityModel {
    fn pick<'a, T: Clone + 'a>(
        spec: &'a Spec,
        chain: &Chain<'a>,
        f: impl Fn(&'a Observability) -> Option<&'a Spanned<T>>,
    ) -> Option<T> {
        chain
            .inherit(|e| e.observability.as_ref().and_then(&f))
            .or_else(|| spec.observability.as_ref().and_then(&f))
            .map(|v| v.value.clone())
    }
    let duration = |text: &str| Duration::parse(text).expect("a default duration parses");
    ObservabilityModel {
        metrics: pick(spec, chain, |o| o.metrics.as_ref()).unwrap_or(false),
        traces: pick(spec, chain, |o| o.traces.as_ref()).unwrap_or(false),
        logs: pick(spec, chain, |o| o.logs.as_ref()).unwrap_or(false),
        retention: pick(spec, chain, |o| o.retention.as_ref()).unwrap_or_else(|| duration("15d")),
        scrape_interval: pick(spec, chain, |o| o.scrape_interval.as_ref())
            .unwrap_or_else(|| duration("30s")),
        sampling_ratio: pick(spec, chain, |o| o.sampling_ratio.as_ref()).unwrap_or(0.1),
    }
}

/// The service's metrics endpoint on its declared port (checked: B2190).
pub(super) fn metrics(svc: &Service, ports: &[PortModel]) -> Option<MetricsModel> {
    let m = svc.metrics.as_ref()?;
    let port = ports.iter().find(|p| p.name == m.port.value)?;
    Some(MetricsModel {
        port_name: port.name.clone(),
        port: port.port,
        path: m
            .path
            .as_ref()
            .map_or_else(|| "/metrics".to_string(), |p| p.value.clone()),
    })
}

/// The OpenTelemetry SDK variables of workload `name` when traces are on (compose and
/// Kubernetes, where the collector runs beside the workloads); the user's `env` overrides them.
pub(super) fn otel_env(
    o: &ObservabilityModel,
    platform: Platform,
    stack: &str,
    env: &str,
    name: &str,
) -> Vec<EnvVar> {
    if !o.traces || platform == Platform::Native {
        return Vec::new();
    }
    let var = |name: &str, value: String| EnvVar {
        name: name.to_string(),
        value: EnvValue::lit(value),
        origin: EnvOrigin::Wiring,
    };
    vec![
        var(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://{OTEL_COLLECTOR}:{OTLP_HTTP_PORT}"),
        ),
        var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".into()),
        var("OTEL_SERVICE_NAME", name.to_string()),
        var(
            "OTEL_RESOURCE_ATTRIBUTES",
            format!("service.namespace={stack},deployment.environment={env}"),
        ),
        var("OTEL_TRACES_SAMPLER", "parentbased_traceidratio".into()),
        var("OTEL_TRACES_SAMPLER_ARG", o.sampling_ratio.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use crate::model::Model;

    fn resolve(env: &str) -> Model {
        let text = "name: shop\nservices:\n  api:\n    image: a/b:1\n    ports: { http: 8080, admin: 9100 }\n    health: { tcp: http }\n    metrics: { port: admin }\n    env: { OTEL_SERVICE_NAME: storefront }\n  worker:\n    image: a/w:1\n    kind: job\n\
                    observability: { metrics: true, traces: true, retention: 30d }\n\
                    environments:\n  base: { platform: compose, observability: { traces: false, sampling_ratio: 0.25 } }\n  staging: { extends: base, observability: { traces: true, scrape_interval: 15s } }\n  dev: { platform: native }\n";
        let loaded = crate::validate(&crate::Source::new("b.yaml", text));
        assert!(!loaded.diagnostics.iter().any(|d| d.is_error()));
        crate::resolve(&loaded.spec.unwrap(), env).unwrap()
    }

    fn var(m: &Model, w: &str, name: &str) -> Option<String> {
        let w = m.workload(w).unwrap();
        w.env.iter().find(|v| v.name == name)?.value.as_plain()
    }

    #[test]
    fn each_key_is_the_nearest_along_the_chain_then_the_stacks_then_the_default() {
        let base = resolve("base");
        let o = &base.observability;
        assert!(o.metrics && !o.traces && !o.logs);
        assert_eq!((o.retention_days(), o.scrape_interval.secs()), (30, 30));
        assert_eq!(o.sampling_ratio, 0.25);
        assert_eq!(var(&base, "worker", "OTEL_SERVICE_NAME"), None);
        let staging = resolve("staging");
        assert!(staging.observability.traces);
        assert_eq!(staging.observability.scrape_interval.secs(), 15);
        assert_eq!(staging.observability.sampling_ratio, 0.25);
        let api = staging.workload("api").unwrap().metrics.clone().unwrap();
        assert_eq!((api.port, api.path.as_str()), (9100, "/metrics"));
        assert!(staging.workload("worker").unwrap().metrics.is_none());
    }

    #[test]
    fn traces_give_every_workload_the_otel_variables_and_the_users_env_wins() {
        let m = resolve("staging");
        assert_eq!(
            var(&m, "worker", "OTEL_EXPORTER_OTLP_ENDPOINT").as_deref(),
            Some("http://otel-collector:4318")
        );
        assert_eq!(
            var(&m, "worker", "OTEL_RESOURCE_ATTRIBUTES").as_deref(),
            Some("service.namespace=shop,deployment.environment=staging")
        );
        assert_eq!(
            var(&m, "worker", "OTEL_SERVICE_NAME").as_deref(),
            Some("worker")
        );
        assert_eq!(
            var(&m, "api", "OTEL_SERVICE_NAME").as_deref(),
            Some("storefront")
        );
        assert_eq!(
            var(&m, "api", "OTEL_TRACES_SAMPLER_ARG").as_deref(),
            Some("0.25")
        );
        let native = resolve("dev");
        assert_eq!(var(&native, "api", "OTEL_EXPORTER_OTLP_ENDPOINT"), None);
    }
}

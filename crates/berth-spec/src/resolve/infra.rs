//! Cloud sizing of a cloud environment: the nearest `infra` value along the `extends` chain,
//! else a default sized by the environment's name (`prod…` large and multi-AZ, `dev…` small).

use crate::extends::Chain;
use crate::model::InfraModel;

pub(super) fn infra_model(stack: &str, chain: &Chain) -> InfraModel {
    let env = chain.name().value.as_str();
    let prod = env.contains("prod");
    let dev = env.starts_with("dev");
    let size = |prod_value: &str, other: &str| if prod { prod_value } else { other }.to_string();
    macro_rules! pick {
        ($field:ident, $default:expr) => {
            chain
                .infra(|i| i.$field.as_ref())
                .map(|v| v.value.clone())
                .unwrap_or_else(|| $default)
        };
    }
    InfraModel {
        vpc_cidr: pick!(vpc_cidr, "10.0.0.0/16".into()),
        kubernetes_version: pick!(kubernetes_version, "1.31".into()),
        node_instance_type: pick!(node_instance_type, size("t3.large", "t3.medium")),
        node_min: pick!(node_min, if prod { 3 } else { 2 }),
        node_max: pick!(node_max, if prod { 9 } else { 4 }),
        node_desired: pick!(node_desired, if prod { 3 } else { 2 }),
        db_instance_class: pick!(db_instance_class, size("db.r6g.large", "db.t3.micro")),
        cache_node_type: pick!(cache_node_type, size("cache.r6g.large", "cache.t3.micro")),
        docdb_instance_class: pick!(docdb_instance_class, size("db.r6g.large", "db.t3.medium")),
        mq_instance_type: pick!(mq_instance_type, size("mq.m5.large", "mq.t3.micro")),
        multi_az: pick!(multi_az, !dev),
        state_bucket: pick!(state_bucket, format!("{stack}-{env}-tfstate")),
    }
}

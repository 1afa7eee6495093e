//! The `extends` chain of an environment, walked once: the environment and what it extends,
//! nearest first, and how the walk ended (at a root, an unknown name or a cycle). The value of a
//! setting is the nearest one written along the chain; checks and resolution both read it here.

use crate::source::Spanned;
use crate::spec::{
    Environment, External, Infra, Name, Realization, RealizationKind, Realizations, Secret,
    ServiceOverride, Spec,
};

/// An environment followed by the environments it extends, nearest first.
#[derive(Debug, Clone)]
pub struct Chain<'a> {
    links: Vec<(&'a Name, &'a Environment)>,
    end: End<'a>,
}

/// How the walk along `extends` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End<'a> {
    /// At an environment that extends nothing.
    Root,
    /// At an `extends` that names no environment.
    Unknown(&'a Name),
    /// At an environment already in the chain.
    Cycle,
}

/// Where a store runs, as the chain writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement<'a> {
    Kind(&'a Spanned<RealizationKind>),
    External(&'a External),
}

impl<'a> Chain<'a> {
    /// The chain of environment `name`; None when there is no such environment.
    pub fn of(spec: &'a Spec, name: &str) -> Option<Self> {
        let envs = &spec.environments;
        let mut links = vec![envs.get_key_value(name)?];
        loop {
            let Some(parent) = links[links.len() - 1].1.extends.as_ref() else {
                return Some(Chain {
                    links,
                    end: End::Root,
                });
            };
            let end = match envs.get_key_value(parent.value.as_str()) {
                None => End::Unknown(parent),
                Some((k, _)) if links.iter().any(|(seen, _)| seen.value == k.value) => End::Cycle,
                Some(link) => {
                    links.push(link);
                    continue;
                }
            };
            return Some(Chain { links, end });
        }
    }

    /// The environment's own name.
    pub fn name(&self) -> &'a Name {
        self.links[0].0
    }

    /// The environment itself.
    pub fn env(&self) -> &'a Environment {
        self.links[0].1
    }

    pub fn end(&self) -> End<'a> {
        self.end
    }

    /// The environments along the chain, nearest first.
    pub fn envs(&self) -> impl DoubleEndedIterator<Item = &'a Environment> + '_ {
        self.links.iter().map(|(_, e)| *e)
    }

    /// The nearest value `f` finds along the chain.
    pub fn inherit<T: ?Sized>(
        &self,
        f: impl Fn(&'a Environment) -> Option<&'a T>,
    ) -> Option<&'a T> {
        self.envs().find_map(f)
    }

    /// Where store `store` runs: the nearest environment that names it or realizes all stores
    /// with one word. None: the platform's default.
    pub fn placement(&self, store: &str) -> Option<Placement<'a>> {
        self.envs().find_map(|env| match env.stores.as_ref()? {
            Realizations::All(k) => Some(Placement::Kind(k)),
            Realizations::PerStore(m) => match m.get(store)? {
                Realization::Kind(k) => Some(Placement::Kind(k)),
                Realization::External(e) => Some(Placement::External(e)),
            },
        })
    }

    /// The overrides of service `service`, nearest first.
    pub fn service_overrides<'s>(
        &'s self,
        service: &'s str,
    ) -> impl DoubleEndedIterator<Item = &'a ServiceOverride> + 's {
        self.envs().filter_map(move |e| e.services.get(service))
    }

    /// The nearest override of secret `name`.
    pub fn secret(&self, name: &str) -> Option<&'a Secret> {
        self.envs().find_map(|e| e.secrets.get(name))
    }

    /// Whether the environment is production-grade: `production` as written along the chain,
    /// else true for cloud environments.
    pub fn production(&self) -> bool {
        match self.inherit(|e| e.production.as_ref()) {
            Some(p) => p.value,
            None => self.inherit(|e| e.cloud.as_ref()).is_some(),
        }
    }

    /// The nearest value `f` finds in the `infra` sections along the chain.
    pub fn infra<T: ?Sized>(&self, f: impl Fn(&'a Infra) -> Option<&'a T>) -> Option<&'a T> {
        self.envs().find_map(|e| e.infra.as_ref().and_then(&f))
    }
}

/// Every `extends` cycle once, as environment indices (declaration order) starting at the one
/// declared first, in `extends` order.
pub fn cycles(spec: &Spec) -> Vec<Vec<usize>> {
    let envs = &spec.environments;
    let parent = |i: usize| {
        envs.get_index(i)
            .and_then(|(_, e)| e.extends.as_ref())
            .and_then(|p| envs.get_index_of(p.value.as_str()))
    };
    let mut found: Vec<Vec<usize>> = Vec::new();
    for start in 0..envs.len() {
        let mut path: Vec<usize> = Vec::new();
        let mut cur = Some(start);
        while let Some(i) = cur {
            if let Some(pos) = path.iter().position(|&p| p == i) {
                let mut cycle = path.split_off(pos);
                let first = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
                cycle.rotate_left(first);
                if !found.contains(&cycle) {
                    found.push(cycle);
                }
                break;
            }
            path.push(i);
            cur = parent(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(envs: &str) -> Spec {
        let text = format!("name: t\nenvironments:\n{envs}");
        let src = crate::Source::new("t.yaml", text);
        crate::load(&src).spec.expect("decodes")
    }

    fn names(c: &Chain) -> Vec<String> {
        c.links.iter().map(|(n, _)| n.value.clone()).collect()
    }

    #[test]
    fn walks_nearest_first_and_says_how_it_ended() {
        let s = spec(
            "  a: { platform: compose, domain: a.test }\n  b: { extends: a, domain: b.test }\n  c: { extends: b }\n  d: { extends: nowhere }\n",
        );
        let c = Chain::of(&s, "c").unwrap();
        assert_eq!(names(&c), ["c", "b", "a"]);
        assert_eq!(c.end(), End::Root);
        assert_eq!(c.inherit(|e| e.domain.as_ref()).unwrap().value, "b.test");
        assert!(c.inherit(|e| e.platform.as_ref()).is_some());
        let d = Chain::of(&s, "d").unwrap();
        assert!(matches!(d.end(), End::Unknown(n) if n.value == "nowhere"));
        assert!(Chain::of(&s, "zz").is_none());
    }

    #[test]
    fn nearest_realization_wins() {
        let s = spec(
            "  a: { platform: compose, stores: { db: host, mq: { external: \"amqp://h:5672\" } } }\n  b: { extends: a, stores: container }\n  c: { extends: b, stores: { db: host } }\n",
        );
        let c = Chain::of(&s, "c").unwrap();
        let kind = |store: &str| match c.placement(store) {
            Some(Placement::Kind(k)) => Some(k.value),
            _ => None,
        };
        assert_eq!(kind("db"), Some(RealizationKind::Host));
        assert_eq!(kind("mq"), Some(RealizationKind::Container));
        let a = Chain::of(&s, "a").unwrap();
        assert!(matches!(a.placement("mq"), Some(Placement::External(_))));
        assert!(a.placement("other").is_none());
    }

    #[test]
    fn cycles_are_found_once_from_the_first_declared() {
        let s = spec(
            "  x: { platform: compose }\n  b: { extends: c }\n  c: { extends: d }\n  d: { extends: b }\n  e: { extends: e }\n  f: { extends: b }\n",
        );
        assert_eq!(cycles(&s), vec![vec![1, 2, 3], vec![4]]);
        let f = Chain::of(&s, "f").unwrap();
        assert_eq!(names(&f), ["f", "b", "c", "d"]);
        assert_eq!(f.end(), End::Cycle);
    }
}

//! An environment's objects by owner. An owner ([`Unit`]) is the stack (its secret objects and
//! `default-deny`), a store or a workload (its objects and NetworkPolicies); each owner's
//! objects are built on their own, so the layout can build, compare and write one owner at a
//! time in every environment. Concatenated in owner order and sorted by kind (stably), they
//! are the environment's objects in apply order.

use super::netpol::{self, Graph};
use super::object::Obj;
use super::parts::{STACK_WAVE, STORE_WAVE, SYNC_WAVE};
use super::{backups, observe, secrets, stores, workloads};
use berth_spec::model::{StoreModel, Workload};
use berth_spec::Model;
use std::collections::HashMap;

/// Whose objects: the stack's, a store's or a workload's.
#[derive(Debug, Clone, Copy)]
pub enum Unit<'a> {
    Stack,
    /// Rules, dashboards and the collector (when the environment observes anything).
    Observability,
    Store(&'a StoreModel),
    Workload(&'a Workload),
}

/// A unit across environments: the stack, or a store or workload by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitKey<'a> {
    Stack,
    Observability,
    Store(&'a str),
    Workload(&'a str),
}

impl<'a> Unit<'a> {
    pub fn key(&self) -> UnitKey<'a> {
        match self {
            Unit::Stack => UnitKey::Stack,
            Unit::Observability => UnitKey::Observability,
            Unit::Store(s) => UnitKey::Store(&s.name),
            Unit::Workload(w) => UnitKey::Workload(&w.name),
        }
    }
}

/// One environment's units in order (the stack, its stores, its workloads).
pub struct EnvUnits<'a> {
    pub model: &'a Model,
    graph: Graph<'a>,
    units: Vec<Unit<'a>>,
    index: HashMap<UnitKey<'a>, usize>,
}

impl<'a> EnvUnits<'a> {
    pub fn new(model: &'a Model) -> Self {
        let observes = (!model.observability.is_off()).then_some(Unit::Observability);
        let units: Vec<Unit> = std::iter::once(Unit::Stack)
            .chain(observes)
            .chain(model.stores.iter().map(Unit::Store))
            .chain(model.workloads.iter().map(Unit::Workload))
            .collect();
        let index = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.key(), i))
            .collect();
        EnvUnits {
            model,
            graph: Graph::new(model),
            units,
            index,
        }
    }

    pub fn units(&self) -> &[Unit<'a>] {
        &self.units
    }

    /// Where unit `key` is in this environment's order, when the environment has it.
    pub fn position(&self, key: UnitKey<'a>) -> Option<usize> {
        self.index.get(&key).copied()
    }

    /// The objects of the unit at `pos`, in the order they are built.
    pub fn objects(&self, pos: usize) -> Vec<Obj<'a>> {
        let model = self.model;
        match self.units[pos] {
            Unit::Stack => {
                let mut objs = secrets::objects(model);
                objs.push(netpol::default_deny(model));
                in_wave(objs, STACK_WAVE)
            }
            Unit::Observability => observe::objects(model),
            Unit::Store(s) => {
                let mut objs = stores::objects(model, s);
                objs.extend(observe::service_monitor(model, &s.name));
                objs.extend(netpol::store(model, s));
                objs.extend(backups::objects(model, s));
                in_wave(objs, STORE_WAVE)
            }
            Unit::Workload(w) => {
                let mut objs = workloads::objects(model, w);
                objs.extend(observe::service_monitor(model, &w.name));
                objs.push(netpol::workload(model, &self.graph, w));
                objs
            }
        }
    }

    /// Every object of the environment in apply order.
    pub fn all(&self) -> Vec<Obj<'a>> {
        let mut objs: Vec<Obj> = (0..self.units.len())
            .flat_map(|pos| self.objects(pos))
            .collect();
        objs.sort_by_key(Obj::kind);
        objs
    }
}

/// The objects with Argo CD sync wave `wave`, unless they name their own.
fn in_wave<'a>(mut objs: Vec<Obj<'a>>, wave: &'static str) -> Vec<Obj<'a>> {
    for o in &mut objs {
        o.annotate_default(SYNC_WAVE, wave);
    }
    objs
}

//! Dotted-path work on raw TOML tables, before anything is typed: reading and writing a value
//! at `a.b.c`, listing the paths a user wrote, merging a file over defaults, and reading a
//! `--set` value as TOML (or as a bare string).

use toml::{Table, Value};

/// The value at dotted `path` (`risk.daily_loss_stop`) inside `table`, if every step exists.
pub(super) fn get_path<'a>(table: &'a Table, path: &str) -> Option<&'a Value> {
    let mut keys = path.split('.');
    let mut current = table.get(keys.next()?)?;
    for key in keys {
        current = current.as_table()?.get(key)?;
    }
    Some(current)
}

/// Puts `value` at dotted `path`, creating (or replacing non-table values with) the tables
/// on the way.
pub(super) fn set_path(table: &mut Table, path: &str, value: Value) {
    let keys: Vec<&str> = path.split('.').collect();
    let mut current = table;
    for key in &keys[..keys.len().saturating_sub(1)] {
        let entry = current
            .entry((*key).to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(inner) = entry else { return };
        current = inner;
    }
    if let Some(last) = keys.last() {
        current.insert((*last).to_string(), value);
    }
}

/// A TOML value (`2`, `true`, `"x"`, `[1, 2]`), or the text itself as a string.
pub(super) fn parse_override_value(text: &str) -> Value {
    let document = format!("value = {text}");
    match toml::from_str::<Table>(&document) {
        Ok(mut table) => table
            .remove("value")
            .unwrap_or_else(|| Value::String(text.to_string())),
        Err(_) => Value::String(text.to_string()),
    }
}

/// Writes `over` onto `base`: tables present in both merge key by key, anything else from
/// `over` replaces what `base` had.
pub(super) fn deep_merge(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(base_inner)), Value::Table(over_inner)) => {
                deep_merge(base_inner, over_inner)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Appends the dotted path of every non-table value under `value` to `out`, `prefix` first.
pub(super) fn leaf_paths(prefix: &str, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Table(table) => {
            for (key, inner) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaf_paths(&path, inner, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

/// True when dotted `path` leads through tables of `value` to some value.
pub(super) fn has_path(value: &Value, path: &str) -> bool {
    let mut current = value;
    for key in path.split('.') {
        match current {
            Value::Table(table) => match table.get(key) {
                Some(inner) => current = inner,
                None => return false,
            },
            _ => return false,
        }
    }
    true
}

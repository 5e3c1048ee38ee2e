//! A read-only Casbin adapter over lines the authorizer already holds: the
//! role templates from `policies/` and the grants from the database are
//! loaded together, so a reload never loses either. Grants are written
//! through the account store, never through Casbin.

use casbin::{Adapter, Filter, Model, Result};

pub(crate) struct Lines {
    pub p: Vec<Vec<String>>,
    pub g: Vec<Vec<String>>,
}

impl Lines {
    fn load(&self, m: &mut dyn Model) {
        for (sec, lines) in [("p", &self.p), ("g", &self.g)] {
            if let Some(ast) = m.get_mut_model().get_mut(sec).and_then(|s| s.get_mut(sec)) {
                for line in lines {
                    ast.get_mut_policy().insert(line.clone());
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl Adapter for Lines {
    async fn load_policy(&mut self, m: &mut dyn Model) -> Result<()> {
        self.load(m);
        Ok(())
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, _f: Filter<'a>) -> Result<()> {
        self.load(m);
        Ok(())
    }

    async fn save_policy(&mut self, _m: &mut dyn Model) -> Result<()> {
        Ok(())
    }

    async fn clear_policy(&mut self) -> Result<()> {
        Ok(())
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(&mut self, _sec: &str, _ptype: &str, _rule: Vec<String>) -> Result<bool> {
        Ok(false)
    }

    async fn add_policies(&mut self, _sec: &str, _ptype: &str, _rules: Vec<Vec<String>>) -> Result<bool> {
        Ok(false)
    }

    async fn remove_policy(&mut self, _sec: &str, _ptype: &str, _rule: Vec<String>) -> Result<bool> {
        Ok(false)
    }

    async fn remove_policies(&mut self, _sec: &str, _ptype: &str, _rules: Vec<Vec<String>>) -> Result<bool> {
        Ok(false)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _field_index: usize,
        _field_values: Vec<String>,
    ) -> Result<bool> {
        Ok(false)
    }
}

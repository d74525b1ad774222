//! Users and their money: registering a user (with its primary subaccount), numbered
//! subaccounts, deposits and withdrawals, and transfers between a user's subaccounts.

use std::collections::BTreeMap;

use kalshi_core::Money;

use super::account::{Account, AccountKey, User, UserId};
use super::error::ExchangeError;
use super::{Exchange, index_u32};

impl Exchange {
    /// Registers a user with `cash` in its primary subaccount (0); keeps its fill history.
    pub fn add_user(&mut self, user_id: &str, cash: Money) -> Result<UserId, ExchangeError> {
        self.add_user_with_history(user_id, cash, true)
    }

    pub(crate) fn add_user_with_history(
        &mut self,
        user_id: &str,
        cash: Money,
        keeps_history: bool,
    ) -> Result<UserId, ExchangeError> {
        let id = UserId(index_u32(self.users.len())?);
        let mut subaccounts = BTreeMap::new();
        subaccounts.insert(
            0,
            Account {
                cash,
                updated_ns: self.now_ns,
                ..Account::default()
            },
        );
        self.users.push(User {
            user_id: user_id.to_string(),
            subaccounts,
            orders: Vec::new(),
            fills: Vec::new(),
            keeps_history,
            resting_count: 0,
        });
        Ok(id)
    }

    /// The user's external id string.
    pub fn user_id_text(&self, user: UserId) -> Result<&str, ExchangeError> {
        Ok(&self.user(user)?.user_id)
    }

    /// Creates the user's next numbered subaccount (1..=63) and returns its number.
    pub fn create_subaccount(&mut self, user: UserId) -> Result<u32, ExchangeError> {
        let now = self.now_ns;
        let state = self.user_mut(user)?;
        let next = state
            .subaccounts
            .keys()
            .next_back()
            .map_or(1, |last| last + 1);
        if next > 63 {
            return Err(ExchangeError::invalid_parameters(
                "a user may have at most 63 subaccounts",
            ));
        }
        state.subaccounts.insert(
            next,
            Account {
                updated_ns: now,
                ..Account::default()
            },
        );
        Ok(next)
    }

    /// Adds (or with a negative amount, withdraws) cash; refuses to take available cash below 0.
    pub fn deposit(
        &mut self,
        user: UserId,
        subaccount: u32,
        amount: Money,
    ) -> Result<(), ExchangeError> {
        let now = self.now_ns;
        let account = self.account_mut(AccountKey { user, subaccount })?;
        let available = account.cash - account.reserved;
        if (available + amount).micros() < 0 {
            return Err(ExchangeError::InsufficientBalance {
                required_micros: -amount.micros(),
                available_micros: available.micros(),
            });
        }
        account.cash = account.cash + amount;
        account.updated_ns = now;
        Ok(())
    }

    /// Moves available cash between two subaccounts of one user.
    pub fn transfer(
        &mut self,
        user: UserId,
        from: u32,
        to: u32,
        amount: Money,
    ) -> Result<(), ExchangeError> {
        if amount.micros() <= 0 {
            return Err(ExchangeError::invalid_parameters(
                "transfer amount must be positive",
            ));
        }
        self.account(AccountKey {
            user,
            subaccount: to,
        })?;
        self.deposit(user, from, -amount)?;
        self.deposit(user, to, amount)
    }
}

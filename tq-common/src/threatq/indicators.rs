//! Indicators: find, get, create, bulk consume, status, structured query
//! (threatq-api.md §6, §4.2).

use serde_json::{json, Value};

use super::{
    from_data, into_rows, typed_rows, Consumed, Indicator, IndicatorUpsert, ThreatQ, BULK_BATCH,
};
use crate::http::{Method, Request};
use crate::Result;

/// The relations embedded when reading indicators.
pub const INDICATOR_WITH: &str = "type,status,attributes,sources,score";

impl ThreatQ {
    /// Indicators whose value is exactly `value` (`GET /api/indicators?value=`), with type,
    /// status, attributes, sources and score.
    pub fn indicators_by_value(&self, value: &str) -> Result<Vec<Indicator>> {
        let rows = self.list_all(
            "indicators",
            &[
                ("value", value.to_string()),
                ("with", INDICATOR_WITH.to_string()),
            ],
        )?;
        let all: Vec<Indicator> = typed_rows(rows, "indicators")?;
        // `%` is a LIKE wildcard server-side: keep exact matches only.
        Ok(all.into_iter().filter(|i| i.value == value).collect())
    }

    /// One indicator by id, with type, status, attributes, sources and score.
    pub fn indicator(&self, id: i64) -> Result<Indicator> {
        let v = self.call(
            Method::Get,
            &format!("indicators/{id}"),
            &[("with", INDICATOR_WITH.to_string())],
            None,
        )?;
        from_data(v, "indicators/{id}")
    }

    /// Bulk upsert (`POST /api/indicators/consume`), in batches of 500 (threatqsdk's
    /// `bulk_upload`). Returns the indicators ThreatQ reports, matched back by value by the
    /// caller.
    pub fn consume_indicators(&self, items: &[IndicatorUpsert]) -> Result<Vec<Consumed>> {
        self.consume_indicators_in(items, BULK_BATCH)
    }

    /// Bulk upsert in batches of `batch` indicators: a connector that writes several
    /// indicators per event (a file's three hashes) sends one request per batch of events.
    /// Each batch is serialised straight to bytes, without a JSON tree in between.
    pub fn consume_indicators_in(
        &self,
        items: &[IndicatorUpsert],
        batch: usize,
    ) -> Result<Vec<Consumed>> {
        let mut out = Vec::with_capacity(items.len());
        for chunk in items.chunks(batch.max(1)) {
            let body = serde_json::to_vec(chunk).map_err(|e| {
                crate::Error::runtime(format!("cannot encode a consume batch: {e}"))
            })?;
            let req = Request::new(Method::Post, self.url("indicators/consume"))
                .bytes("application/json", body);
            let v = self.call_req(req)?;
            out.extend(typed_rows::<Consumed>(into_rows(v), "indicators/consume")?);
        }
        Ok(out)
    }

    /// Sets an indicator's status by name (`PUT /api/indicators/{id}` with `status_id`).
    pub fn set_indicator_status(&self, id: i64, status_name: &str) -> Result<()> {
        let status_id = self.status_id(status_name)?;
        self.call(
            Method::Put,
            &format!("indicators/{id}"),
            &[],
            Some(json!({ "status_id": status_id })),
        )?;
        Ok(())
    }

    /// Structured query (`POST /api/indicators/query`) with `criteria`/`filters` in the
    /// §4.2 language; reads every page (sorted by id, so paging is stable).
    pub fn query_indicators(&self, criteria: Value, filters: Value) -> Result<Vec<Indicator>> {
        let body = json!({ "criteria": criteria, "filters": filters });
        let rows = self.query_all("indicators", &body, "id", INDICATOR_WITH)?;
        typed_rows(rows, "indicators/query")
    }

    /// [I] Indicators created, updated or touched after `since` (`YYYY-MM-DD HH:MM:SS`),
    /// through a query criteria with `+gt` on the timestamps: the operator set is only
    /// confirmed for `score` (threatq-api.md §17), so this is the one place to correct it.
    pub fn indicators_changed_since(&self, since: &str) -> Result<Vec<Indicator>> {
        self.query_indicators(
            json!({"+or": [
                {"updated_at": {"+gt": since}},
                {"touched_at": {"+gt": since}},
                {"created_at": {"+gt": since}},
            ]}),
            json!({}),
        )
    }
}

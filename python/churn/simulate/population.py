"""Who the players are: partners and their states, FTD arrivals, channels, trackers, products
and latent types.

The type mix is a multinomial logit with additive effects of partner, state, channel, tracker
and product; the effect tables are kept so P(type | covariates) is exact downstream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churn.simulate.calendar import calendar_month, days_in_month, month_first_day, parse_month
from churn.simulate.config import SimulationConfig
from churn.simulate.player_types import TypeTables, sample_rows
from churn.simulate.reference import CASINO_STATES, MARKET_WEIGHT, POKER_STATES, Reference

CHANNEL_WEIGHTS = np.array([0.35, 0.25, 0.15, 0.12, 0.08, 0.05])


@dataclass(frozen=True)
class Market:
    """Partners, states and the acquisition structure they share."""

    state_codes: tuple[str, ...]  # (S,)
    launch: np.ndarray  # (S,) absolute launch month
    state_weight: np.ndarray  # (S,)
    partner_ids: tuple[str, ...]  # (P,)
    partner_size: np.ndarray  # (P,)
    entry: np.ndarray  # (P, S) absolute entry month, -1 where the partner is absent
    share: np.ndarray  # (P, S) partner's relative share within the state
    channel_ids: tuple[str, ...]  # (C,)
    channel_probs: np.ndarray  # (P, C)
    tracker_ids: tuple[str, ...]  # (R,)
    tracker_channel: np.ndarray  # (R,)
    tracker_weight: np.ndarray  # (R,) popularity, normalised within its channel
    product_allowed: np.ndarray  # (S, Pr) bool
    product_channel_effect: np.ndarray  # (C, Pr)
    product_partner_effect: np.ndarray  # (P, Pr)
    type_effects: dict[str, np.ndarray]  # 'partner' (P,T), 'state' (S,T), 'channel' (C,T),
    # 'tracker' (R,T), 'product' (Pr,T)

    @property
    def first_month(self) -> int:
        """Earliest month any partner acquires players."""
        return int(self.entry[self.entry >= 0].min())


def select_states(config: SimulationConfig, reference: Reference) -> tuple[str, ...]:
    """States in play: launched by `end`; all, the top-N by market size, or a given list."""
    end = config.end_month
    launched = [s for s, m in reference.launch_month.items() if m <= end]
    if config.states is None:
        chosen = launched
    elif isinstance(config.states, int):
        ranked = sorted(launched, key=lambda s: (-MARKET_WEIGHT.get(s, 1.0), s))
        chosen = ranked[: max(1, config.states)]
    else:
        chosen = [s.strip().upper() for s in config.states]
        bad = [s for s in chosen if s not in launched]
        if bad:
            raise ValueError(f"states {bad} are unknown or launch after {config.end}")
    return tuple(sorted(set(chosen)))


def build_market(
    config: SimulationConfig, reference: Reference, tables: TypeTables, rng: np.random.Generator
) -> Market:
    """Draws partners (uneven sizes and footprints), entry months, channels, trackers and the
    random effects of the type and product logits."""
    states = select_states(config, reference)
    n_s, n_p, n_t = len(states), config.n_partners, tables.n_types
    n_c, n_r, n_pr = config.n_channels, config.n_trackers, len(tables.product_names)
    launch = np.array([reference.launch_month[s] for s in states], dtype=np.int64)
    weight = np.array([MARKET_WEIGHT.get(s, 1.0) for s in states])

    rank = 1 + rng.permutation(n_p)  # size rank of partner i; ids are not ranked by size
    big = int(np.argmin(rank))
    size = rank**-config.partner_size_zipf * rng.lognormal(0.0, 0.3, n_p)
    coverage = np.clip(0.95 * rank**-0.7, 0.15, 1.0)
    p_in = np.clip(coverage[:, None] * np.sqrt(weight / weight.mean())[None, :], 0.0, 1.0)
    present = rng.random((n_p, n_s)) < p_in
    present[big] |= ~present.any(axis=0)  # every state: a partner
    late = rng.random((n_p, n_s)) < config.late_entry_share
    delay = np.where(late, rng.geometric(1.0 / config.late_entry_mean_months, (n_p, n_s)), 0)
    entry = launch[None, :] + delay
    orphan = ~(present & (entry <= config.end_month)).any(axis=0)
    entry[big] = np.where(orphan, launch, entry[big])  # the biggest partner covers orphans
    present[big] |= orphan
    present &= entry <= config.end_month
    lonely = ~present.any(axis=1)  # a partner whose only states come after `end`
    top = int(np.argmax(weight))
    entry[lonely, top] = launch[top]
    present[lonely, top] = True
    entry = np.where(present, entry, -1)
    share = rng.lognormal(0.0, config.partner_share_sigma, (n_p, n_s))
    partner_ids = tuple(f"P{i + 1:02d}" for i in range(n_p))

    channel_ids = tuple(f"BEN{i + 1:02d}" for i in range(n_c))
    base = np.resize(CHANNEL_WEIGHTS, n_c)
    channel_probs = rng.dirichlet(base / base.sum() * 60.0, n_p)

    tracker_channel = np.sort(rng.choice(n_c, n_r, p=base / base.sum()))
    tracker_weight = np.empty(n_r)
    for c in range(n_c):  # Zipf popularity within each channel, random rank order
        idx = np.flatnonzero(tracker_channel == c)
        w = (1.0 + rng.permutation(idx.size)) ** -config.tracker_zipf
        tracker_weight[idx] = w / w.sum()
    empty = [c for c in range(n_c) if not (tracker_channel == c).any()]
    if empty:
        raise ValueError("n_trackers too small: a channel has no tracker")
    tracker_numbers = np.sort(rng.choice(1_000_000, n_r, replace=False))
    tracker_ids = tuple(f"trk_{k:06d}" for k in rng.permutation(tracker_numbers))

    allowed = np.ones((n_s, n_pr), dtype=bool)
    for j, legal in enumerate(tables.product_legal_in):
        if legal == "casino":
            allowed[:, j] = [s in CASINO_STATES for s in states]
        elif legal == "poker":
            allowed[:, j] = [s in POKER_STATES for s in states]
    product_channel = rng.normal(0.0, 0.6, (n_c, n_pr))
    product_channel[:, 0] = 0.0
    product_partner = rng.normal(0.0, 0.5, (n_p, n_pr))
    product_partner[:, 0] = 0.0

    effects = {
        "partner": rng.normal(0.0, config.partner_effect_sd, (n_p, n_t)),
        "state": rng.normal(0.0, config.state_effect_sd, (n_s, n_t)),
        "channel": rng.normal(0.0, config.channel_effect_sd, (n_c, n_t)),
        "tracker": rng.normal(0.0, config.tracker_effect_sd, (n_r, n_t)),
        "product": tables.product_type_shift.copy(),
    }
    return Market(
        state_codes=states,
        launch=launch,
        state_weight=weight,
        partner_ids=partner_ids,
        partner_size=size,
        entry=entry,
        share=share,
        channel_ids=channel_ids,
        channel_probs=channel_probs,
        tracker_ids=tracker_ids,
        tracker_channel=tracker_channel,
        tracker_weight=tracker_weight,
        product_allowed=allowed,
        product_channel_effect=product_channel,
        product_partner_effect=product_partner,
        type_effects=effects,
    )


def ftd_intensity(config: SimulationConfig, market: Market) -> tuple[np.ndarray, np.ndarray]:
    """Expected FTDs per (partner, state, month): size x share x launch surge x entry ramp x
    sports seasonality; zero before the partner's entry. Returns (months, intensity[P,S,M])."""
    months = np.arange(market.first_month, config.end_month + 1)
    since_launch = months[None, None, :] - market.launch[None, :, None]
    since_entry = months[None, None, :] - market.entry[:, :, None]
    surge = 1.0 + config.launch_surge * np.exp(-since_launch / config.launch_surge_months)
    late = (market.entry > market.launch[None, :])[:, :, None]
    ramp = 1.0 + np.where(
        late,
        config.entry_surge * np.exp(-np.maximum(since_entry, 0) / config.entry_surge_months),
        0.0,
    )
    season = np.asarray(config.ftd_seasonality)[calendar_month(months)][None, None, :]
    level = market.partner_size[:, None] * market.state_weight[None, :] * market.share
    active = (market.entry[:, :, None] >= 0) & (since_entry >= 0)
    if config.new_players_only:
        active &= (months >= config.start_month)[None, None, :]
    return months, np.where(active, level[:, :, None] * surge * ramp * season, 0.0)


@dataclass
class Players:
    """One array per attribute, one element per sampled player (clean values)."""

    partner: np.ndarray
    state: np.ndarray
    ftd_month: np.ndarray  # absolute month
    ftd_day: np.ndarray  # days since epoch
    reg_lag: np.ndarray  # days from registration to FTD
    channel: np.ndarray
    tracker: np.ndarray
    product: np.ndarray
    type_prob: np.ndarray  # (n, T) prior P(type | partner, state, channel, tracker, product)
    type: np.ndarray
    account_num: np.ndarray

    @property
    def n(self) -> int:
        return int(self.partner.shape[0])

    @property
    def reg_day(self) -> np.ndarray:
        return self.ftd_day - self.reg_lag


def type_logits(
    market: Market,
    tables: TypeTables,
    partner: np.ndarray,
    state: np.ndarray,
    channel: np.ndarray,
    tracker: np.ndarray,
    product: np.ndarray,
) -> np.ndarray:
    """(n, T) type logits: base + partner + state + channel + tracker + product effects."""
    e = market.type_effects
    return (
        tables.base_logit[None, :]
        + e["partner"][partner]
        + e["state"][state]
        + e["channel"][channel]
        + e["tracker"][tracker]
        + e["product"][product]
    )


def cohort_shift(
    config: SimulationConfig, market: Market, partner: np.ndarray, ftd_month: np.ndarray
) -> np.ndarray:
    """(n, T) change of the type logits with the FTD cohort: a linear drift per year after
    `start`, plus the step of the injected mix shift from its month on (for its partner)."""
    n, n_t = partner.shape[0], len(config.types)
    shift = np.zeros((n, n_t))
    if config.mix_drift_per_year:
        years = (ftd_month - config.start_month) / 12.0
        shift += years[:, None] * np.asarray(config.mix_drift_per_year)[None, :]
    # The config requires the month with the logits.
    if config.mix_shift_logits and config.mix_shift_month is not None:
        shifted = ftd_month >= parse_month(config.mix_shift_month)
        if config.mix_shift_partner is not None:
            shifted &= partner == market.partner_ids.index(config.mix_shift_partner)
        shift += shifted[:, None] * np.asarray(config.mix_shift_logits)[None, :]
    return shift


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def draw_players(
    config: SimulationConfig, market: Market, tables: TypeTables, rng: np.random.Generator
) -> Players:
    """FTD arrivals (multinomial over partner x state x month), sampling, then attributes."""
    months, intensity = ftd_intensity(config, market)
    n_p, n_s, n_m = intensity.shape
    counts = rng.multinomial(config.n_players, (intensity / intensity.sum()).ravel())
    cell = np.repeat(np.arange(counts.size), counts)
    if config.sample_fraction < 1.0:
        cell = cell[rng.random(cell.size) < config.sample_fraction]
    partner, rest = np.divmod(cell, n_s * n_m)
    state, month_idx = np.divmod(rest, n_m)
    ftd_month = months[month_idx]
    n = cell.size
    ftd_day = month_first_day(ftd_month) + (rng.random(n) * days_in_month(ftd_month)).astype(
        np.int64
    )

    channel_cdf = np.cumsum(market.channel_probs, axis=1)
    channel = sample_rows(channel_cdf, partner, rng.random(n)).astype(np.int16)
    # Tracker within channel: trackers are sorted by channel, so offsetting the global cumulative
    # popularity by the channel index turns one searchsorted into per-channel draws.
    cum = np.cumsum(market.tracker_weight)
    starts = np.searchsorted(market.tracker_channel, np.arange(len(market.channel_ids)))
    cum_within = cum - np.concatenate([[0.0], cum])[starts][market.tracker_channel]
    key = cum_within + market.tracker_channel
    key[np.r_[starts[1:] - 1, key.size - 1]] = np.arange(1, len(market.channel_ids) + 1)
    tracker = np.minimum(
        np.searchsorted(key, channel + rng.random(n), side="right"), key.size - 1
    ).astype(np.int32)

    product_logit = (
        tables.product_logit[None, :]
        + market.product_channel_effect[channel]
        + market.product_partner_effect[partner]
    )
    product_logit = np.where(market.product_allowed[state], product_logit, -np.inf)
    product = np.argmax(product_logit + rng.gumbel(size=product_logit.shape), axis=1).astype(
        np.int8
    )

    logits = type_logits(market, tables, partner, state, channel, tracker, product)
    if config.has_mix_changes:
        logits = logits + cohort_shift(config, market, partner, ftd_month)
    prob = softmax(logits)
    ptype = _sample_categorical(prob, rng.random(n))
    reg_lag = sample_rows(tables.reg_cdf, ptype, rng.random(n))

    # Account ids grow with registration order within a partner (as operators assign them).
    order = np.lexsort((ftd_day - reg_lag, partner))
    step = rng.integers(1, 6, n)
    csum = np.cumsum(step[order])
    first = np.searchsorted(partner[order], np.arange(n_p))
    base = 1_000_000 + rng.integers(0, 400_000, n_p)
    offset = np.concatenate([[0], csum])[first]
    account = np.empty(n, dtype=np.int64)
    account[order] = base[partner[order]] + csum - offset[partner[order]]
    return Players(
        partner=partner.astype(np.int16),
        state=state.astype(np.int16),
        ftd_month=ftd_month.astype(np.int64),
        ftd_day=ftd_day,
        reg_lag=reg_lag.astype(np.int64),
        channel=channel,
        tracker=tracker,
        product=product,
        type_prob=prob,
        type=ptype.astype(np.int8),
        account_num=account,
    )


def _sample_categorical(prob: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One categorical draw per row of an (n, K) probability matrix."""
    cdf = np.cumsum(prob, axis=1)
    return np.minimum((u[:, None] >= cdf).sum(axis=1), prob.shape[1] - 1)

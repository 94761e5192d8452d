"""Every knob of the partner-export simulator, with its default, in frozen dataclasses.

The defaults are the documented model (docs/simulator.md); a run is fully described by its
`SimulationConfig`, which is written next to the truth as config.json.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from churn.simulate.calendar import parse_month

# The export format changes the simulator can inject (see `SimulationConfig.format_changes`).
FORMAT_CHANGES: dict[str, str] = {
    "product_label": "products renamed to labels the seed does not know: Sports Betting, "
    "iGaming, Poker Room, Fantasy Sports",
    "date_day_first": "every date as DD/MM/YYYY",
    "amount_cents": "amounts as integer cents without a decimal point (12550 for 125.50)",
}


@dataclass(frozen=True)
class IssueRates(Mapping[str, float]):
    """Rates of the injected data problems; a read-only mapping name -> rate.

    Units (see `churn.simulate.problems.ISSUES`): row issues are a share of the clean rows,
    extra-row issues add that share of the clean rows as new rows, player issues are a share of
    the players in the export, and `test_account` is test accounts per exported player (at least
    one per partner when positive).
    """

    duplicate_row: float = 0.005
    activity_before_ftd: float = 0.002
    missing_ftd_date: float = 0.005
    ftd_before_reg: float = 0.003
    qp_before_ftd: float = 0.003
    missing_brand_id: float = 0.003
    invalid_brand_id: float = 0.002
    brand_id_variant: float = 0.01
    product_label_variant: float = 0.02
    blank_tracker_id: float = 0.005
    negative_deposit: float = 0.002
    all_zero_row: float = 0.005
    test_account: float = 0.0002
    after_export_month: float = 0.0003
    unparseable_date: float = 0.0002
    unparseable_amount: float = 0.0002

    def __post_init__(self) -> None:
        for name, value in self.items():
            if not 0.0 <= value <= 0.2:
                raise ValueError(f"issue rate {name}={value} must be within [0, 0.2]")

    def __getitem__(self, name: str) -> float:
        if name not in self._names():
            raise KeyError(name)
        return float(getattr(self, name))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def none(cls) -> IssueRates:
        """All rates zero: a clean export."""
        return cls(**{name: 0.0 for name in cls._names()})

    def replace(self, **rates: float) -> IssueRates:
        """A copy with some rates changed; unknown names raise with the list of valid ones."""
        unknown = sorted(set(rates) - set(self._names()))
        if unknown:
            raise ValueError(f"unknown issue(s) {unknown}; valid: {', '.join(self._names())}")
        return dataclasses.replace(self, **{k: float(v) for k, v in rates.items()})


def knob(doc: str, default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field carrying its documentation (rendered into docs/simulator.md)."""
    if isinstance(default, IssueRates):
        return field(default_factory=IssueRates, metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class PlayerTypeSpec:
    """One latent player type: churn hazard, activity, first-month behaviour and spend."""

    name: str = knob("type name")
    base_logit: float = knob(
        "base logit of the type mix (before partner, state, channel, tracker and product effects)"
    )
    hazard_start: float = knob(
        "monthly lapse hazard at tenure 1; the hazard at tenure t is "
        "floor + (start - floor) * exp(-(t - 1) / tau)"
    )
    hazard_floor: float = knob("long-run monthly lapse hazard")
    hazard_tau: float = knob("months over which the hazard falls from start to floor")
    activity_prob: float = knob("P(active in a month | alive), before seasonality")
    return_prob: float = knob("P(a true return after the lapse, after a long gap)")
    reg_same_day: float = knob("P(registration on the FTD day)")
    reg_short: float = knob("P(registration 1-3 days before FTD)")
    reg_week: float = knob("P(registration 4-30 days before FTD); the rest is 31-365 days")
    qp_same_day: float = knob("P(first cash bet on the FTD day | bets)")
    qp_short: float = knob("P(first cash bet 1-3 days after FTD | bets); the rest 4-120 days")
    never_bet_prob: float = knob("P(never places a cash bet: qp_date empty)")
    deposit0_median: float = knob("FTD-month deposit = 10 + lognormal with this median ($)")
    deposit0_sigma: float = knob("log-sd of the FTD-month deposit")
    deposit_median: float = knob("later-month deposit = 10 + lognormal with this median ($)")
    deposit_sigma: float = knob("log-sd of later-month deposits")
    deposit_month_prob: float = knob("P(a deposit | active betting month after FTD)")
    handle_shift: float = knob("added to the product's log handle multiple")
    bonus0_share: float = knob(
        "FTD-month bonus cost as a share of the FTD-month deposit (subtracted from NGR)"
    )
    hazard_rise_months: float = knob(
        "0: the hazard falls from the start; R > 0: it is multiplied by min(1, t / R), so it "
        "first rises (a lifetime outside the sBG / BdW family)",
        0.0,
    )


@dataclass(frozen=True)
class ProductSpec:
    """A registration product: its spend shape, hold and popularity."""

    name: str = knob("canonical label")
    base_logit: float = knob("base logit of the product choice")
    legal_in: str = knob("'all', or only 'casino' / 'poker' states (online casino / poker legal)")
    sports_seasonal: bool = knob("activity follows the sports calendar (summer low)")
    deposit_shift: float = knob("added to log deposit medians")
    handle_multiple: float = knob("median handle / deposit (lognormal)")
    handle_sigma: float = knob("log-sd of the handle multiple")
    hold: float = knob("expected GGR / handle (NGR before bonuses)")
    ngr_sd: float = knob("log-sd of payout / handle for a small handle")
    ngr_sd_scale: float = knob("handle ($) at which that sd has shrunk by sqrt(2)")
    type_shift: tuple[float, ...] = knob("added to the type logits, in type order")


DEFAULT_TYPES: tuple[PlayerTypeSpec, ...] = (
    PlayerTypeSpec(
        "one_and_done",
        0.0,
        0.80,
        0.35,
        2.0,
        0.45,
        0.03,
        0.75,
        0.15,
        0.07,
        0.55,
        0.20,
        0.22,
        30.0,
        0.8,
        25.0,
        0.8,
        0.80,
        -0.3,
        0.35,
    ),
    PlayerTypeSpec(
        "casual",
        0.1,
        0.20,
        0.08,
        6.0,
        0.65,
        0.08,
        0.60,
        0.20,
        0.12,
        0.70,
        0.15,
        0.07,
        60.0,
        0.9,
        50.0,
        0.9,
        0.70,
        0.0,
        0.20,
    ),
    PlayerTypeSpec(
        "loyal",
        -0.7,
        0.06,
        0.025,
        12.0,
        0.88,
        0.12,
        0.50,
        0.20,
        0.15,
        0.82,
        0.12,
        0.02,
        150.0,
        1.0,
        180.0,
        1.0,
        0.65,
        0.2,
        0.10,
    ),
    PlayerTypeSpec(
        "vip",
        -3.0,
        0.04,
        0.01,
        12.0,
        0.94,
        0.20,
        0.45,
        0.20,
        0.15,
        0.88,
        0.08,
        0.005,
        1200.0,
        1.1,
        2500.0,
        1.1,
        0.80,
        0.4,
        0.03,
    ),
)

DEFAULT_PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "sportsbook", 0.0, "all", True, 0.0, 3.0, 0.6, 0.075, 0.45, 300.0, (0.0, 0.0, 0.0, 0.0)
    ),
    ProductSpec(
        "casino", -0.5, "casino", False, 0.2, 15.0, 0.7, 0.035, 0.15, 3000.0, (-0.3, 0.0, 0.4, 0.5)
    ),
    ProductSpec(
        "poker", -3.2, "poker", False, -0.2, 6.0, 0.6, 0.05, 0.2, 1000.0, (-0.4, 0.0, 0.5, 0.2)
    ),
    ProductSpec("dfs", -2.5, "all", True, -0.3, 1.8, 0.5, 0.10, 0.5, 300.0, (0.2, 0.2, -0.2, -0.5)),
)

# Relative FTD acquisition by calendar month (Jan..Dec): NFL playoffs and Super Bowl, March
# Madness, a summer low, NFL kickoff in September.
DEFAULT_FTD_SEASONALITY: tuple[float, ...] = (
    1.25,
    1.10,
    1.20,
    0.90,
    0.85,
    0.75,
    0.70,
    0.90,
    1.40,
    1.25,
    1.15,
    1.10,
)
# Multiplier of the monthly activity probability for sports products (Jan..Dec).
DEFAULT_SPORTS_ACTIVITY_SEASONALITY: tuple[float, ...] = (
    1.05,
    1.00,
    1.03,
    0.92,
    0.88,
    0.78,
    0.72,
    0.85,
    1.08,
    1.08,
    1.08,
    1.06,
)


@dataclass(frozen=True)
class SimulationConfig:
    """A full description of one simulated partner export and its ground truth."""

    n_players: int = knob(
        "players (FTDs) simulated from each partner's state entry to `end`, before sampling",
        100_000,
    )
    n_partners: int = knob("partners (P01..)", 8)
    start: str = knob("first month of the export window (YYYY-MM)", "2019-01")
    end: str = knob("export month: the last month of the window (YYYY-MM)", "2024-12")
    sample_fraction: float = knob("share of simulated players kept", 1.0)
    seed: int = knob("seed of numpy PCG64 (one child stream per stage)", 42)
    states: tuple[str, ...] | int | None = knob(
        "None: every state launched by `end`; N: the N largest markets; or a tuple of codes", None
    )
    issues: IssueRates = knob("rates of the injected problems (table below)", IssueRates())
    churn_inactive_months: int = knob("K of the churn rule, for the truth", 3)
    quick_churn_months: int = knob("H of the quick-churn label, for the Bayes probability", 3)
    history_months: int = knob("truth history after FTD: months 0..history_months at least", 120)
    n_channels: int = knob("ben_login_id values BEN01..", 6)
    n_trackers: int = knob("tracker_id values, each owned by one channel", 1500)
    tracker_zipf: float = knob("tracker popularity within its channel ~ 1 / rank^zipf", 1.1)
    partner_size_zipf: float = knob("partner sizes ~ 1 / rank^zipf x lognormal(0, 0.3)", 1.0)
    partner_share_sigma: float = knob("log-sd of a partner's share within a state", 0.5)
    late_entry_share: float = knob(
        "share of partner x state pairs entered after the launch month", 0.5
    )
    late_entry_mean_months: float = knob("mean delay of a late entry (geometric)", 8.0)
    launch_surge: float = knob(
        "FTD intensity x (1 + surge x exp(-months since launch / months))", 2.5
    )
    launch_surge_months: float = knob("decay of the launch surge (months)", 5.0)
    entry_surge: float = knob(
        "extra ramp x exp(-months since entry / months) for a late entrant", 1.0
    )
    entry_surge_months: float = knob("decay of the entry ramp (months)", 3.0)
    ftd_seasonality: tuple[float, ...] = knob(
        "FTD intensity by calendar month Jan..Dec", DEFAULT_FTD_SEASONALITY
    )
    sports_activity_seasonality: tuple[float, ...] = knob(
        "activity-probability multiplier for sports products, Jan..Dec",
        DEFAULT_SPORTS_ACTIVITY_SEASONALITY,
    )
    max_activity_prob: float = knob("cap of the monthly activity probability", 0.98)
    partner_effect_sd: float = knob("sd of the partner random effect on each type logit", 0.3)
    state_effect_sd: float = knob("sd of the state random effect on each type logit", 0.2)
    channel_effect_sd: float = knob(
        "sd of the channel (ben_login_id) random effect on each type logit", 0.35
    )
    tracker_effect_sd: float = knob("sd of the tracker random effect on each type logit", 0.5)
    min_return_gap: int = knob(
        "minimum months between the lapse and a true return (>= K keeps T exact)", 6
    )
    return_gap_mean: float = knob("mean months between the lapse and a true return", 12.0)
    types: tuple[PlayerTypeSpec, ...] = knob("latent player types (table below)", DEFAULT_TYPES)
    products: tuple[ProductSpec, ...] = knob("products (table below)", DEFAULT_PRODUCTS)
    seeds_dir: str | None = knob(
        "folder of state_launch_months.csv and product_label_map.csv (default: repo seeds/)", None
    )
    new_players_only: bool = knob(
        "only players whose FTD is inside the window (an export of newly referred players: "
        "nobody with an FTD before `start`)",
        False,
    )
    mix_drift_per_year: tuple[float, ...] = knob(
        "added to each type's logit per year of FTD cohort after `start`, in type order "
        "(() = no drift)",
        (),
    )
    mix_shift_month: str | None = knob(
        "from this FTD month on (YYYY-MM) the type mix of `mix_shift_partner` shifts by "
        "`mix_shift_logits` (None = no shift)",
        None,
    )
    mix_shift_partner: str | None = knob(
        "the partner whose mix shifts (None = every partner)", None
    )
    mix_shift_logits: tuple[float, ...] = knob(
        "added to the type logits of the shifted FTD cohorts, in type order", ()
    )
    format_change_month: str | None = knob(
        "from this activity month on (YYYY-MM) `format_change_partner` sends its rows in a "
        "changed format (None = no change)",
        None,
    )
    format_change_partner: str | None = knob(
        "the partner whose format changes (None = every partner)", None
    )
    format_changes: tuple[str, ...] = knob(
        "what changes: " + ", ".join(f"{k} ({v})" for k, v in FORMAT_CHANGES.items()), ()
    )

    def __post_init__(self) -> None:
        if self.n_players < 1 or self.n_partners < 1:
            raise ValueError("n_players and n_partners must be >= 1")
        if parse_month(self.start) > parse_month(self.end):
            raise ValueError(f"start {self.start} is after end {self.end}")
        if not 0.0 < self.sample_fraction <= 1.0:
            raise ValueError("sample_fraction must be in (0, 1]")
        if self.min_return_gap < self.churn_inactive_months:
            raise ValueError("min_return_gap must be >= churn_inactive_months")
        if len(self.ftd_seasonality) != 12 or len(self.sports_activity_seasonality) != 12:
            raise ValueError("seasonality tuples need 12 values (Jan..Dec)")
        if len(self.types) < 3:
            raise ValueError("at least three player types are needed")
        for product in self.products:
            if len(product.type_shift) != len(self.types):
                raise ValueError(f"product {product.name}: one type_shift per type")
        if isinstance(self.states, list):
            object.__setattr__(self, "states", tuple(self.states))
        for name in ("mix_drift_per_year", "mix_shift_logits", "format_changes"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        self._check_changes()

    def _check_changes(self) -> None:
        n_types = len(self.types)
        if self.mix_drift_per_year and len(self.mix_drift_per_year) != n_types:
            raise ValueError(f"mix_drift_per_year needs one value per type ({n_types})")
        if (self.mix_shift_month is None) != (not self.mix_shift_logits):
            raise ValueError("mix_shift_month and mix_shift_logits go together")
        if self.mix_shift_logits and len(self.mix_shift_logits) != n_types:
            raise ValueError(f"mix_shift_logits needs one value per type ({n_types})")
        if (self.format_change_month is None) != (not self.format_changes):
            raise ValueError("format_change_month and format_changes go together")
        unknown = sorted(set(self.format_changes) - set(FORMAT_CHANGES))
        if unknown:
            raise ValueError(
                f"unknown format change(s) {unknown}; valid: {', '.join(FORMAT_CHANGES)}"
            )
        partner_ids = {f"P{i + 1:02d}" for i in range(self.n_partners)}
        for name in ("mix_shift_partner", "format_change_partner"):
            value = getattr(self, name)
            if value is not None and value not in partner_ids:
                raise ValueError(f"{name}={value!r} is not one of P01..P{self.n_partners:02d}")
        for name in ("mix_shift_month", "format_change_month"):
            if getattr(self, name) is not None:
                parse_month(getattr(self, name))

    @property
    def start_month(self) -> int:
        """Absolute month index of the window start."""
        return parse_month(self.start)

    @property
    def end_month(self) -> int:
        """Absolute month index of the export month."""
        return parse_month(self.end)

    @property
    def has_mix_changes(self) -> bool:
        """The type mix depends on the FTD cohort (drift or a shift)."""
        return bool(self.mix_drift_per_year or self.mix_shift_logits)

    @property
    def type_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.types)

    @property
    def product_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.products)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every setting."""
        out = dataclasses.asdict(self)
        out["issues"] = dict(self.issues.items())
        return out

    def replace(self, **changes: Any) -> SimulationConfig:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)


SAMPLE_STATES: tuple[str, ...] = (
    "NJ",
    "NV",
    "PA",
    "NY",
    "IL",
    "MI",
    "OH",
    "AZ",
    "CO",
    "IN",
    "VA",
    "TN",
    "MA",
    "MD",
    "NC",
)

PRESETS: dict[str, dict[str, Any]] = {
    # The bundled sample: data/sample/activity.csv.gz (kept under 10 MB gzipped).
    "sample": {
        "n_players": 45_000,
        "n_partners": 5,
        "states": SAMPLE_STATES,
        "start": "2019-01",
        "end": "2024-12",
        "seed": 42,
        "sample_fraction": 1.0,
    },
    # A quick run for tests and demos.
    "tiny": {
        "n_players": 4_000,
        "n_partners": 3,
        "states": ("NJ", "PA", "NY", "MI", "AZ"),
        "seed": 42,
    },
}


def preset(name: str, **overrides: Any) -> SimulationConfig:
    """The named preset's config, with optional overrides."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid: {', '.join(PRESETS)}")
    return SimulationConfig(**{**PRESETS[name], **overrides})

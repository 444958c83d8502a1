"""mexards: software that runs seamless Phase 1/2 dose-finding trials such as MEXARDS (NCT04602104)."""

__version__ = "0.1.0"

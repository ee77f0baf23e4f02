"""Settings read from the environment (prefix GRIDSCREEN_)."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDSCREEN_")

    database_url: str = "sqlite:///gridscreen.db"
    timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    session_hours: int = 12
    # Cookies must be Secure behind HTTPS in production; the demo serves plain HTTP on localhost.
    secure_cookies: bool = False
    page_size_max: int = 500
    # Signs the resident codes people show as QR codes. The default only suits the demo: set a long random
    # value in production, shared by the API processes.
    resident_code_secret: str = "gridscreen-demo-secret-change-me"
    # How often each server process escalates overdue tickets and sends queued notifications (0: never;
    # then run `gridscreen support sweep` from a scheduler instead).
    support_sweep_seconds: int = 30
    notify_sender: str = "console"  # or "sms"
    # How long each server process keeps a household's rendered resident page before redrawing it behind the
    # answers (0: render every time). Results change hours apart; what the household itself does shows at once.
    resident_page_seconds: int = 60
    sms_gateway_url: str | None = None

    @property
    def resident_code_key(self) -> bytes:
        return self.resident_code_secret.encode()


@lru_cache
def get_settings() -> Settings:
    return Settings()

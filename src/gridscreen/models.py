"""Every table, imported in dependency order so the metadata is complete (Alembic and tests use this)."""

from gridscreen.areas import models as areas_models  # noqa: F401
from gridscreen.auth import models as auth_models  # noqa: F401
from gridscreen.dashboard import models as dashboard_models  # noqa: F401
from gridscreen.db import Base
from gridscreen.lab import models as lab_models  # noqa: F401
from gridscreen.people import models as people_models  # noqa: F401
from gridscreen.planning import models as planning_models  # noqa: F401
from gridscreen.roster import models as roster_models  # noqa: F401
from gridscreen.sampling import models as sampling_models  # noqa: F401
from gridscreen.support import models as support_models  # noqa: F401

metadata = Base.metadata

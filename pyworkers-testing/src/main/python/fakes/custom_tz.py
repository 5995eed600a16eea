"""A tzinfo of the user's own, importable by workers: the JVM cannot know its offsets (ResultTypeTest)."""
import datetime

__all__ = ["PlusOne"]


class PlusOne(datetime.tzinfo):
    def utcoffset(self, dt):
        return datetime.timedelta(hours=1)

    def dst(self, dt):
        return datetime.timedelta(0)

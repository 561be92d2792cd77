from __future__ import annotations

from rest_framework import serializers


class MeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    language = serializers.CharField()


class DealerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class HqScopeSerializer(serializers.Serializer):
    role = serializers.CharField()
    region_codes = serializers.ListField(child=serializers.CharField())
    dealer_count = serializers.IntegerField()


class MeSerializer(serializers.Serializer):
    user = MeUserSerializer()
    role = serializers.CharField(help_text="Dealer role, or HQ role for HQ users; empty if none.")
    dealer = DealerRefSerializer(
        allow_null=True, help_text="The dealer being worked in (staff) or drilled into (HQ)."
    )
    hq_scope = HqScopeSerializer(allow_null=True, help_text="Only for HQ users.")
    capabilities = serializers.ListField(child=serializers.CharField())

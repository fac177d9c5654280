include $(sort $(wildcard $(BR2_EXTERNAL_VERINIT_PATH)/package/*/*.mk))

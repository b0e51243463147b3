"""The reviewer register."""

"""Comments on videos: threads of one level of replies, edited and removed by their authors."""
